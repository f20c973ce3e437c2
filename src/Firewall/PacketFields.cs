using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Firewall;

/// <summary>
/// The header fields the firewall decides on, read once per packet by <see cref="TryRead"/>. Addresses are
/// numbers (IPv4 in the low 32 bits). Ports are present only for TCP and UDP with a transport header (not in a
/// later fragment); the ICMP type and code only for ICMP in IPv4 and ICMPv6 in IPv6.
/// </summary>
public struct PacketFields
{
    /// <summary>Where the packet entered.</summary>
    public PortId Ingress;

    /// <summary>Where it is going (none when not yet routed).</summary>
    public PortId Egress;

    /// <summary>Whether the packet is IPv6.</summary>
    public bool IsIPv6;

    /// <summary>The source address.</summary>
    public UInt128 Source;

    /// <summary>The destination address.</summary>
    public UInt128 Destination;

    /// <summary>The upper-layer protocol (after IPv6 extension headers).</summary>
    public byte Protocol;

    /// <summary>Whether <see cref="SourcePort"/> and <see cref="DestinationPort"/> are meaningful (TCP, UDP).</summary>
    public bool HasPorts;

    /// <summary>The TCP/UDP source port.</summary>
    public ushort SourcePort;

    /// <summary>The TCP/UDP destination port.</summary>
    public ushort DestinationPort;

    /// <summary>Whether <see cref="IcmpType"/>, <see cref="IcmpCode"/> and <see cref="IcmpIdentifier"/> are meaningful.</summary>
    public bool IsIcmp;

    /// <summary>The ICMP or ICMPv6 type.</summary>
    public byte IcmpType;

    /// <summary>The ICMP or ICMPv6 code.</summary>
    public byte IcmpCode;

    /// <summary>The echo identifier (bytes 4-5 of the ICMP header).</summary>
    public ushort IcmpIdentifier;

    /// <summary>The TCP flags (TCP with a header only).</summary>
    public TcpFlags TcpFlags;

    /// <summary>Whether this is a later fragment (no transport header).</summary>
    public bool IsLaterFragment;

    /// <summary>
    /// Reads the fields of the IP packet at the start of <paramref name="packet"/>. Never throws; a packet that
    /// does not parse yields the parser's reason and default fields.
    /// </summary>
    public static DropReason TryRead(ReadOnlySpan<byte> packet, PortId ingress, PortId egress, out PacketFields fields)
    {
        fields = default;
        DropReason reason = IpPacket.TryParse(packet, out IpPacket ip);
        if (!reason.IsNone)
        {
            return reason;
        }

        fields.Ingress = ingress;
        fields.Egress = egress;
        fields.IsIPv6 = ip.IsIPv6;
        fields.Protocol = ip.Protocol;
        fields.IsLaterFragment = ip.Layout.FragmentOffset != 0;
        fields.Source = IpPacket.ToNumber(ip.Source);
        fields.Destination = IpPacket.ToNumber(ip.Destination);
        if (ip.TryGetTcp(out TcpHeader tcp))
        {
            fields.HasPorts = true;
            fields.SourcePort = tcp.SourcePort;
            fields.DestinationPort = tcp.DestinationPort;
            fields.TcpFlags = tcp.Flags;
        }
        else if (ip.TryGetUdp(out UdpHeader udp))
        {
            fields.HasPorts = true;
            fields.SourcePort = udp.SourcePort;
            fields.DestinationPort = udp.DestinationPort;
        }
        else if (ip.TryGetIcmp(out IcmpHeader icmp))
        {
            fields.SetIcmp(icmp);
        }

        return DropReason.None;
    }

    /// <summary>Sets the ICMP fields from <paramref name="icmp"/>.</summary>
    internal void SetIcmp(in IcmpHeader icmp)
    {
        IsIcmp = true;
        IcmpType = icmp.Type;
        IcmpCode = icmp.Code;
        IcmpIdentifier = icmp.Identifier;
    }
}
