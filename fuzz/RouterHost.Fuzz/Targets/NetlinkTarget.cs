using RouterHost.Netlink;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// A datagram as the kernel's rtnetlink replies arrive: every message decoded (<c>NetlinkReplyProcessor.DecodeAll</c>:
/// links, addresses, routes, neighbours, policy rules, errors with extended-ack text, dump ends), and the exchange logic of one
/// request over it (<c>ProcessDatagram</c>: sequence matching, ACK, errno, NLMSG_DONE). The one exception allowed is
/// the parser's own <see cref="MalformedNetlinkMessageException"/>, which names the offset of what is wrong.
/// </summary>
internal sealed class NetlinkTarget : IFuzzTarget
{
    public const string TargetName = "netlink";

    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort RtmNewLink = 16;
    private const ushort RtmNewAddr = 20;
    private const ushort RtmNewRoute = 24;
    private const ushort RtmNewNeigh = 28;
    private const ushort RtmNewRule = 32;
    private const ushort NlmFMulti = 2;

    private readonly List<object> _results = [];

    public string Name => TargetName;

    public string Description => "rtnetlink replies (src/Netlink RtnetlinkDecoder and the reply processor)";

    public void Run(ReadOnlySpan<byte> input)
    {
        try
        {
            NetlinkReplyProcessor.DecodeAll(input);
        }
        catch (MalformedNetlinkMessageException ex)
        {
            InvariantViolationException.Check(ex.Offset >= 0 && ex.Offset <= input.Length, "a malformed message's offset lies inside the datagram");
        }

        // The exchange for sequence 1 expecting each reply type in turn, as the client's requests do.
        foreach (ushort replyType in (ReadOnlySpan<ushort>)[RtmNewLink, RtmNewAddr, RtmNewRoute, RtmNewNeigh, RtmNewRule])
        {
            _results.Clear();
            bool interrupted = false;
            try
            {
                ReplyStatus status = NetlinkReplyProcessor.ProcessDatagram<object>(input, 1, replyType, Decoder(replyType), _results, ref interrupted, out int errno, out _);
                InvariantViolationException.Check(status != ReplyStatus.KernelError || errno != 0, "a kernel error carries its errno");
            }
            catch (MalformedNetlinkMessageException)
            {
                // The parser's own refusal, with the offset: what the client reports.
            }
        }
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        yield return new("links", Datagram(
            Message(RtmNewLink, NlmFMulti, Concat(IfInfo(1, 0x49), Attr(3, Str("lo")), Attr(4, U32(65536)))),
            Message(RtmNewLink, NlmFMulti, Concat(IfInfo(2, 0x1003), Attr(3, Str("tun0")), Attr(4, U32(1420)), Attr(13, U32(1000)))),
            Message(NlmsgDone, NlmFMulti, U32(0))));
        yield return new("addresses", Datagram(
            Message(RtmNewAddr, NlmFMulti, Concat([2, 24, 0x80, 0, 2, 0, 0, 0], Attr(1, [192, 0, 2, 1]), Attr(2, [192, 0, 2, 1]), Attr(3, Str("d0")), Attr(8, U32(0x80)))),
            Message(RtmNewAddr, NlmFMulti, Concat([10, 64, 0x82, 0, 2, 0, 0, 0], Attr(1, [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Attr(8, U32(0x82)))),
            Message(NlmsgDone, NlmFMulti, U32(0))));
        yield return new("routes", Datagram(
            Message(RtmNewRoute, NlmFMulti, Concat([2, 24, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0], Attr(15, U32(254)), Attr(1, [198, 51, 100, 0]), Attr(5, [192, 0, 2, 254]), Attr(4, U32(2)), Attr(6, U32(50)))),
            Message(RtmNewRoute, NlmFMulti, Concat([10, 64, 0, 0, 254, 2, 0, 1, 0, 0, 0, 0], Attr(1, [0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), Attr(4, U32(2)))),
            Message(NlmsgDone, NlmFMulti, U32(0))));
        yield return new("neighbour-and-error", Datagram(
            Message(RtmNewNeigh, 0, Concat([2, 0, 0, 0, 2, 0, 0, 0, 0x80, 0, 0, 0], Attr(1, [192, 0, 2, 7]), Attr(2, [2, 0, 0, 0, 0, 7]))),
            Message(NlmsgError, 0x300, Concat(U32(unchecked((uint)-17)), new byte[16], Attr(1, Str("File exists")), Attr(2, U32(20))))));
        // A full tunnel's rules as the kernel lists them: not fwmark 51820 table 51820 proto 210; table main suppress_prefixlength 0.
        yield return new("rules", Datagram(
            Message(RtmNewRule, NlmFMulti, Concat([2, 0, 0, 0, 0, 0, 0, 1], U32(2), Attr(15, U32(51820)), Attr(6, U32(32765)), Attr(10, U32(51820)), Attr(16, U32(0xffffffff)), Attr(21, [210]))),
            Message(RtmNewRule, NlmFMulti, Concat([10, 0, 0, 0, 254, 0, 0, 1], U32(0), Attr(15, U32(254)), Attr(6, U32(32764)), Attr(14, U32(0)), Attr(3, Str("eth0")))),
            Message(NlmsgDone, NlmFMulti, U32(0))));
        yield return new("ack", Datagram(Message(NlmsgError, 0x100, Concat(U32(0), new byte[16]))));
    }

    private static NetlinkMessageDecoder<object>? Decoder(ushort replyType) => replyType switch
    {
        RtmNewLink => static m => RtnetlinkDecoder.DecodeLink(m),
        RtmNewAddr => static m => RtnetlinkDecoder.DecodeAddress(m),
        RtmNewRoute => static m => RtnetlinkDecoder.DecodeRoute(m),
        RtmNewRule => static m => RtnetlinkDecoder.DecodeRule(m),
        _ => static m => RtnetlinkDecoder.DecodeNeighbour(m),
    };

    private static byte[] Datagram(params byte[][] messages) => [.. messages.SelectMany(m => m)];

    // struct nlmsghdr (host order, little-endian here) then the payload, padded to 4 bytes; sequence 1.
    private static byte[] Message(ushort type, ushort flags, byte[] payload)
    {
        int length = 16 + payload.Length;
        byte[] message = new byte[(length + 3) & ~3];
        BitConverter.TryWriteBytes(message.AsSpan(0), (uint)length);
        BitConverter.TryWriteBytes(message.AsSpan(4), type);
        BitConverter.TryWriteBytes(message.AsSpan(6), flags);
        BitConverter.TryWriteBytes(message.AsSpan(8), 1u);
        payload.CopyTo(message, 16);
        return message;
    }

    // struct ifinfomsg: family, pad, type, index, flags, change.
    private static byte[] IfInfo(int index, uint flags) => Concat([0, 0, 1, 0], U32((uint)index), U32(flags), U32(0));

    private static byte[] Attr(ushort type, byte[] value)
    {
        int length = 4 + value.Length;
        byte[] attribute = new byte[(length + 3) & ~3];
        BitConverter.TryWriteBytes(attribute.AsSpan(0), (ushort)length);
        BitConverter.TryWriteBytes(attribute.AsSpan(2), type);
        value.CopyTo(attribute, 4);
        return attribute;
    }

    private static byte[] U32(uint value) => BitConverter.GetBytes(value);

    private static byte[] Str(string text) => [.. System.Text.Encoding.ASCII.GetBytes(text), 0];

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
