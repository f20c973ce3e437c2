using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace RouterHost.Netlink.Tests.Support;

/// <summary>
/// Builds netlink datagrams by hand, byte by byte, so tests can state exactly what the kernel (or a liar)
/// sent: every length can be overridden and padding left out. Independent of the production writer.
/// </summary>
internal sealed class ReplyBuilder
{
    public const ushort NLMSG_NOOP = 1;
    public const ushort NLMSG_ERROR = 2;
    public const ushort NLMSG_DONE = 3;
    public const ushort NLMSG_OVERRUN = 4;
    public const ushort NLM_F_MULTI = 0x02;
    public const ushort NLM_F_DUMP_INTR = 0x10;
    public const ushort NLM_F_CAPPED = 0x100;
    public const ushort NLM_F_ACK_TLVS = 0x200;
    public const ushort RTM_NEWLINK = 16;
    public const ushort RTM_NEWADDR = 20;
    public const ushort RTM_NEWROUTE = 24;
    public const ushort RTM_NEWNEIGH = 28;
    public const ushort RTM_NEWRULE = 32;

    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public ReplyBuilder Message(ushort type, ushort flags, uint sequence, byte[] payload, uint? lengthOverride = null, bool pad = true)
    {
        var length = lengthOverride ?? (uint)(16 + payload.Length);
        _bytes.AddRange(U32(length));
        _bytes.AddRange(U16(type));
        _bytes.AddRange(U16(flags));
        _bytes.AddRange(U32(sequence));
        _bytes.AddRange(U32(4242));
        _bytes.AddRange(payload);
        if (pad)
        {
            while (_bytes.Count % 4 != 0)
            {
                _bytes.Add(0);
            }
        }

        return this;
    }

    public ReplyBuilder Raw(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public byte[] Build() => [.. _bytes];

    public static byte[] Attr(ushort type, byte[] value, ushort? lengthOverride = null, bool pad = true)
    {
        var bytes = new List<byte>();
        bytes.AddRange(U16(lengthOverride ?? (ushort)(4 + value.Length)));
        bytes.AddRange(U16(type));
        bytes.AddRange(value);
        if (pad)
        {
            while (bytes.Count % 4 != 0)
            {
                bytes.Add(0);
            }
        }

        return [.. bytes];
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    public static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] I32(int value) => U32(unchecked((uint)value));

    public static byte[] Str(string value) => [.. Encoding.UTF8.GetBytes(value), 0];

    public static byte[] Ip(string address) => IPAddress.Parse(address).GetAddressBytes();

    /// <summary>struct ifinfomsg.</summary>
    public static byte[] IfInfo(int index, uint flags, ushort deviceType = 1) =>
        Concat([0, 0], U16(deviceType), I32(index), U32(flags), U32(0));

    /// <summary>struct ifaddrmsg.</summary>
    public static byte[] IfAddr(byte family, byte prefixLength, byte flags, byte scope, int index) =>
        Concat([family, prefixLength, flags, scope], I32(index));

    /// <summary>struct rtmsg.</summary>
    public static byte[] RtMsg(byte family, byte dstLen, byte table, byte protocol, byte scope, byte type) =>
        Concat([family, dstLen, 0, 0, table, protocol, scope, type], U32(0));

    /// <summary>struct ndmsg.</summary>
    /// <summary>struct fib_rule_hdr: family, dst_len, src_len, tos, table, res1, res2, action, flags.</summary>
    public static byte[] RuleHdr(byte family, byte table, byte action, uint flags, byte dstLen = 0, byte srcLen = 0) =>
        Concat([family, dstLen, srcLen, 0, table, 0, 0, action], U32(flags));

    public static byte[] NdMsg(byte family, int index, ushort state, byte flags) =>
        Concat([family, 0, 0, 0], I32(index), U16(state), [flags, 1]);

    /// <summary>struct nlmsgerr: the error and the echoed request header (capped).</summary>
    public static byte[] Error(int error, uint echoedLength = 16, uint echoedSequence = 1) =>
        Concat(I32(error), U32(echoedLength), U16(16), U16(5), U32(echoedSequence), U32(0));

    /// <summary>A typical RTM_NEWLINK for an Ethernet link.</summary>
    public static byte[] LinkPayload(int index = 7, string name = "tun0", uint mtu = 1420, uint flags = 0x10043) =>
        Concat(
            IfInfo(index, flags),
            Attr(3, Str(name)),
            Attr(4, U32(mtu)),
            Attr(1, [0x02, 0, 0, 0, 0, 0x07]));
}
