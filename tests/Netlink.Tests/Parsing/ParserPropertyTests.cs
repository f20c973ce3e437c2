using FsCheck;
using FsCheck.Fluent;
using RouterHost.Netlink.Tests.Support;
using static RouterHost.Netlink.Tests.Support.ReplyBuilder;

namespace RouterHost.Netlink.Tests.Parsing;

/// <summary>
/// Whatever bytes arrive, the parser either decodes them or throws its own
/// <see cref="MalformedNetlinkMessageException"/>: never an IndexOutOfRange, ArgumentOutOfRange, overflow or
/// anything else that would mean it read outside the buffer or trusted a length it should not have.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly Config Thorough = Config.QuickThrowOnFailure.WithMaxTest(3000);

    private static readonly byte[][] Seeds =
    [
        new ReplyBuilder()
            .Message(RTM_NEWLINK, NLM_F_MULTI, 1, LinkPayload(1, "lo", 65536, 0x49))
            .Message(RTM_NEWLINK, NLM_F_MULTI, 1, LinkPayload(2, "d0"))
            .Message(NLMSG_DONE, NLM_F_MULTI, 1, I32(0))
            .Build(),
        new ReplyBuilder()
            .Message(RTM_NEWADDR, NLM_F_MULTI, 1, Concat(IfAddr(2, 24, 0x80, 0, 2), Attr(1, Ip("192.0.2.1")), Attr(2, Ip("192.0.2.1")), Attr(3, Str("d0")), Attr(8, U32(0x80))))
            .Message(RTM_NEWADDR, NLM_F_MULTI, 1, Concat(IfAddr(10, 64, 0x82, 0, 2), Attr(1, Ip("2001:db8::1")), Attr(8, U32(0x82))))
            .Build(),
        new ReplyBuilder()
            .Message(RTM_NEWROUTE, NLM_F_MULTI, 1, Concat(RtMsg(2, 24, 254, 4, 0, 1), Attr(15, U32(254)), Attr(1, Ip("198.51.100.0")), Attr(5, Ip("192.0.2.254")), Attr(4, U32(2)), Attr(6, U32(50))))
            .Message(RTM_NEWROUTE, NLM_F_MULTI, 1, Concat(RtMsg(10, 64, 254, 2, 0, 1), Attr(1, Ip("2001:db8::")), Attr(4, U32(2)), Attr(7, Ip("2001:db8::1"))))
            .Build(),
        new ReplyBuilder()
            .Message(RTM_NEWNEIGH, 0, 1, Concat(NdMsg(2, 2, 0x80, 0), Attr(1, Ip("192.0.2.7")), Attr(2, [2, 0, 0, 0, 0, 7])))
            .Message(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 1, Concat(Error(-17), Attr(1, Str("File exists")), Attr(2, U32(20))))
            .Build(),
        new ReplyBuilder()
            .Message(NLMSG_ERROR, NLM_F_ACK_TLVS, 1, Concat(Error(-22, echoedLength: 28), new byte[12], Attr(1, Str("bad"))))
            .Message(NLMSG_DONE, NLM_F_ACK_TLVS, 1, Concat(I32(-16), Attr(1, Str("busy"))))
            .Build(),
        new ReplyBuilder()
            .Message(RTM_NEWRULE, NLM_F_MULTI, 1, Concat(RuleHdr(2, 0, 1, 0x2), Attr(15, U32(51820)), Attr(6, U32(32765)), Attr(10, U32(51820)), Attr(16, U32(0xffffffff)), Attr(21, [210])))
            .Message(RTM_NEWRULE, NLM_F_MULTI, 1, Concat(RuleHdr(10, 254, 1, 0), Attr(14, U32(0)), Attr(6, U32(32764)), Attr(3, Str("eth0"))))
            .Message(NLMSG_DONE, NLM_F_MULTI, 1, I32(0))
            .Build(),
    ];

    private static Gen<byte> AnyByte => Gen.Choose(0, 255).Select(b => (byte)b);

    [Fact]
    public void Random_bytes_are_decoded_or_rejected_with_the_parsers_own_error()
    {
        var datagrams = Gen.Sized(size => Gen.Choose(0, 16 + (size * 4)).SelectMany(length => Gen.ArrayOf(AnyByte, length)));

        Check.One(Thorough, Prop.ForAll(Arb.From(datagrams), DecodesOrRejects));
    }

    [Fact]
    public void Random_messages_with_plausible_headers_are_decoded_or_rejected_with_the_parsers_own_error()
    {
        // Random payloads behind well-formed headers reach the family decoders rather than stopping at the header.
        var types = Gen.Elements<ushort>(RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWNEIGH, RTM_NEWRULE, NLMSG_ERROR, NLMSG_DONE, NLMSG_NOOP, 99);
        var flags = Gen.Elements<ushort>(0, NLM_F_MULTI, NLM_F_CAPPED | NLM_F_ACK_TLVS, NLM_F_ACK_TLVS);
        var message =
            from type in types
            from flag in flags
            from payload in Gen.Sized(size => Gen.Choose(0, 8 + (size * 2)).SelectMany(n => Gen.ArrayOf(AnyByte, n)))
            select (type, flag, payload);
        var datagrams = Gen.ListOf(message).Select(messages =>
        {
            var builder = new ReplyBuilder();
            foreach (var (type, flag, payload) in messages)
            {
                builder.Message(type, flag, 1, payload);
            }

            return builder.Build();
        });

        Check.One(Thorough, Prop.ForAll(Arb.From(datagrams), DecodesOrRejects));
    }

    [Fact]
    public void Mutated_valid_replies_are_decoded_or_rejected_with_the_parsers_own_error()
    {
        var mutation = Gen.OneOf(
            // Overwrite one byte.
            from position in Gen.Choose(0, 4095)
            from value in AnyByte
            select (Func<byte[], byte[]>)(bytes => Overwrite(bytes, position, [value])),
            // Overwrite a 16-bit field (rta_len, nlmsg_type) with a small or extreme value.
            from position in Gen.Choose(0, 4095)
            from value in Gen.OneOf(Gen.Choose(0, 64), Gen.Choose(0, 65535))
            select (Func<byte[], byte[]>)(bytes => Overwrite(bytes, position, U16((ushort)value))),
            // Overwrite a 32-bit field (nlmsg_len, an error code) with a small or extreme value.
            from position in Gen.Choose(0, 4095)
            from value in Gen.OneOf(Gen.Choose(0, 128), Gen.Choose(int.MinValue, int.MaxValue))
            select (Func<byte[], byte[]>)(bytes => Overwrite(bytes, position, I32(value))),
            // Cut the datagram short.
            from keep in Gen.Choose(0, 4095)
            select (Func<byte[], byte[]>)(bytes => bytes[..Math.Min(keep % (bytes.Length + 1), bytes.Length)]),
            // Insert bytes, shifting everything after.
            from position in Gen.Choose(0, 4095)
            from inserted in Gen.ArrayOf(AnyByte, 3)
            select (Func<byte[], byte[]>)(bytes => Insert(bytes, position, inserted)));
        var datagrams =
            from seed in Gen.Elements(Seeds)
            from mutations in Gen.ListOf(mutation)
            select mutations.Aggregate(seed, (bytes, mutate) => mutate(bytes));

        Check.One(Thorough, Prop.ForAll(Arb.From(datagrams), DecodesOrRejects));
    }

    [Fact]
    public void The_seed_replies_decode_cleanly()
    {
        Assert.All(Seeds, seed => NetlinkReplyProcessor.DecodeAll(seed));
    }

    private static bool DecodesOrRejects(byte[] datagram)
    {
        try
        {
            NetlinkReplyProcessor.DecodeAll(datagram);
        }
        catch (MalformedNetlinkMessageException)
        {
        }

        try
        {
            var interrupted = false;
            NetlinkReplyProcessor.ProcessDatagram(
                datagram, 1, RTM_NEWROUTE, RtnetlinkDecoder.DecodeRoute, new List<RouteInfo>(), ref interrupted, out _, out _);
        }
        catch (MalformedNetlinkMessageException)
        {
        }

        return true;
    }

    private static byte[] Overwrite(byte[] bytes, int position, byte[] value)
    {
        if (bytes.Length == 0)
        {
            return bytes;
        }

        var copy = (byte[])bytes.Clone();
        var start = position % copy.Length;
        for (var i = 0; i < value.Length && start + i < copy.Length; i++)
        {
            copy[start + i] = value[i];
        }

        return copy;
    }

    [Fact]
    public void Any_rule_header_and_attributes_decode_to_a_rule_or_are_rejected_and_what_decodes_keeps_its_fields()
    {
        // Well-formed rule messages with random field values: a decoded rule carries exactly the values written.
        var rules =
            from family in Gen.Elements<byte>(2, 10)
            from table in Gen.Choose(1, int.MaxValue)
            from priority in Gen.Choose(0, 40000)
            from mark in Gen.Choose(0, int.MaxValue)
            from invert in Gen.Elements(true, false)
            from suppress in Gen.Choose(-1, 128)
            from protocol in Gen.Choose(0, 255)
            select (family, table, priority, (uint)mark, invert, suppress, (byte)protocol);
        Check.One(Thorough, Prop.ForAll(Arb.From(rules), r =>
        {
            var payload = Concat(RuleHdr(r.family, 0, 1, r.invert ? 2u : 0u), Attr(15, U32((uint)r.table)), Attr(6, U32((uint)r.priority)),
                Attr(10, U32(r.Item4)), Attr(14, I32(r.suppress)), Attr(21, [r.Item7]));
            var decoded = Assert.IsType<RuleInfo>(Assert.Single(NetlinkReplyProcessor.DecodeAll(new ReplyBuilder().Message(RTM_NEWRULE, 0, 1, payload).Build())));
            bool suppressOk = r.suppress < 0 ? decoded.SuppressPrefixLength is null : decoded.SuppressPrefixLength == r.suppress;
            return decoded.Table == r.table && decoded.Priority == r.priority && decoded.FirewallMark == r.Item4 && decoded.Invert == r.invert
                && suppressOk && decoded.Protocol == r.Item7 && !decoded.HasSelectors;
        }));
    }

    private static byte[] Insert(byte[] bytes, int position, byte[] inserted)
    {
        var at = position % (bytes.Length + 1);
        return [.. bytes[..at], .. inserted, .. bytes[at..]];
    }
}
