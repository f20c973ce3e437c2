using System.Buffers.Binary;
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

        PacketLayout layout = ip.Layout;
        fields.Ingress = ingress;
        fields.Egress = egress;
        fields.IsIPv6 = layout.IsIPv6;
        fields.Protocol = layout.Protocol;
        fields.IsLaterFragment = layout.FragmentOffset != 0;
        fields.Source = layout.IsIPv6 ? BinaryPrimitives.ReadUInt128BigEndian(ip.Source) : BinaryPrimitives.ReadUInt32BigEndian(ip.Source);
        fields.Destination = layout.IsIPv6 ? BinaryPrimitives.ReadUInt128BigEndian(ip.Destination) : BinaryPrimitives.ReadUInt32BigEndian(ip.Destination);
        if (!layout.HasTransportHeader)
        {
            return DropReason.None;
        }

        switch (layout.Protocol)
        {
            case IpProtocol.Tcp:
                fields.HasPorts = true;
                fields.SourcePort = layout.SourcePort;
                fields.DestinationPort = layout.DestinationPort;
                fields.TcpFlags = ip.TryGetTcp(out TcpHeader tcp) ? tcp.Flags : default;
                break;
            case IpProtocol.Udp:
                fields.HasPorts = true;
                fields.SourcePort = layout.SourcePort;
                fields.DestinationPort = layout.DestinationPort;
                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6 when ip.TryGetIcmp(out IcmpHeader icmp):
                fields.SetIcmp(icmp);
                break;
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
