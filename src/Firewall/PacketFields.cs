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
        // The one parser (PacketParser) validated every header the layout names, so the fields are read at the header
        // types' offsets without validating again: this runs for every packet the firewall sees.
        DropReason reason = PacketParser.Parse(packet, out PacketLayout layout);
        if (!reason.IsNone)
        {
            return reason;
        }

        fields.Ingress = ingress;
        fields.Egress = egress;
        fields.Protocol = layout.Protocol;
        fields.IsLaterFragment = layout.FragmentOffset != 0;
        if (layout.IsIPv6)
        {
            fields.IsIPv6 = true;
            fields.Source = BinaryPrimitives.ReadUInt128BigEndian(packet[Ipv6Header.SourceOffset..]);
            fields.Destination = BinaryPrimitives.ReadUInt128BigEndian(packet[Ipv6Header.DestinationOffset..]);
        }
        else
        {
            fields.Source = BinaryPrimitives.ReadUInt32BigEndian(packet[Ipv4Header.SourceOffset..]);
            fields.Destination = BinaryPrimitives.ReadUInt32BigEndian(packet[Ipv4Header.DestinationOffset..]);
        }

        if (!layout.HasTransportHeader)
        {
            return DropReason.None;
        }

        ReadOnlySpan<byte> l4 = packet[layout.TransportOffset..];
        switch (layout.Protocol)
        {
            case IpProtocol.Tcp:
                fields.HasPorts = true;
                fields.SourcePort = layout.SourcePort;
                fields.DestinationPort = layout.DestinationPort;
                fields.TcpFlags = (TcpFlags)l4[TcpHeader.FlagsOffset];
                break;
            case IpProtocol.Udp:
                fields.HasPorts = true;
                fields.SourcePort = layout.SourcePort;
                fields.DestinationPort = layout.DestinationPort;
                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6:
                fields.IsIcmp = true;
                fields.IcmpType = l4[IcmpHeader.TypeOffset];
                fields.IcmpCode = l4[IcmpHeader.CodeOffset];
                fields.IcmpIdentifier = BinaryPrimitives.ReadUInt16BigEndian(l4[IcmpHeader.IdentifierOffset..]);
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
