using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;

namespace RouterHost.Netlink;

/// <summary>One validated rtattr: its type (flags masked off), payload, and where it sits in the datagram.</summary>
internal readonly ref struct NetlinkAttribute
{
    public NetlinkAttribute(ushort type, int offset, ReadOnlySpan<byte> payload)
    {
        Type = type;
        Offset = offset;
        Payload = payload;
    }

    /// <summary>rta_type without NLA_F_NESTED / NLA_F_NET_BYTEORDER.</summary>
    public ushort Type { get; }

    /// <summary>Offset of the rtattr header within the datagram.</summary>
    public int Offset { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public uint GetUInt32(string name)
    {
        RequireLength(name, 4);
        return HostOrder.ReadUInt32(Payload);
    }

    /// <summary>The leading counters of a <c>struct rtnl_link_stats64</c>; later fields (newer kernels) are ignored.</summary>
    public LinkStatistics GetLinkStatistics(string name)
    {
        if (Payload.Length < LinkStatistics.Size)
        {
            throw new MalformedNetlinkMessageException($"{name} has a {Payload.Length}-byte payload, expected at least {LinkStatistics.Size}", Offset);
        }

        ReadOnlySpan<byte> p = Payload;
        return new LinkStatistics(
            HostOrder.ReadUInt64(p), HostOrder.ReadUInt64(p[8..]), HostOrder.ReadUInt64(p[16..]), HostOrder.ReadUInt64(p[24..]),
            HostOrder.ReadUInt64(p[32..]), HostOrder.ReadUInt64(p[40..]), HostOrder.ReadUInt64(p[48..]), HostOrder.ReadUInt64(p[56..]));
    }

    public byte GetUInt8(string name)
    {
        RequireLength(name, 1);
        return Payload[0];
    }

    /// <summary>A NUL-terminated string; a payload with no NUL is taken whole.</summary>
    public string GetString()
    {
        var bytes = Payload;
        var nul = bytes.IndexOf((byte)0);
        return Encoding.UTF8.GetString(nul >= 0 ? bytes[..nul] : bytes);
    }

    public IPAddress GetAddress(string name, AddressFamily family)
    {
        var expected = family == AddressFamily.InterNetwork ? 4 : 16;
        RequireLength(name, expected);
        return new IPAddress(Payload);
    }

    /// <summary>A link-layer address; an empty payload means none.</summary>
    public PhysicalAddress? GetLinkLayerAddress(string name)
    {
        if (Payload.Length > 32)
        {
            throw new MalformedNetlinkMessageException(
                $"{name} is {Payload.Length} bytes, longer than any link-layer address (32)", Offset);
        }

        return Payload.IsEmpty ? null : new PhysicalAddress(Payload.ToArray());
    }

    private void RequireLength(string name, int expected)
    {
        if (Payload.Length != expected)
        {
            throw new MalformedNetlinkMessageException(
                $"{name} has a {Payload.Length}-byte payload, expected {expected}", Offset);
        }
    }
}
