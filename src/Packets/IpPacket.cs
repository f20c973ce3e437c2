using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// One IP packet as <see cref="PacketParser.Parse"/> laid it out: its bytes and its <see cref="PacketLayout"/>, with
/// the fields the stages decide on (addresses, protocol, hop limit, the transport header) read through the header
/// types. Built once per packet by <see cref="TryParse"/>; every accessor reads in bounds and never throws.
/// </summary>
public readonly ref struct IpPacket
{
    private readonly ReadOnlySpan<byte> _packet;

    private IpPacket(ReadOnlySpan<byte> packet, PacketLayout layout)
    {
        _packet = packet;
        Layout = layout;
    }

    /// <summary>Where the headers lie.</summary>
    public PacketLayout Layout { get; }

    /// <summary>The packet's bytes up to its own length (link padding excluded).</summary>
    public ReadOnlySpan<byte> Bytes => _packet;

    /// <summary>Whether this is IPv6.</summary>
    public bool IsIPv6 => Layout.IsIPv6;

    /// <summary>The upper-layer protocol (after any IPv6 extension headers).</summary>
    public byte Protocol => Layout.Protocol;

    /// <summary>The source address (4 or 16 bytes).</summary>
    public ReadOnlySpan<byte> Source => IsIPv6
        ? _packet.Slice(Ipv6Header.SourceOffset, Ipv6Header.AddressLength)
        : _packet.Slice(Ipv4Header.SourceOffset, Ipv4Header.AddressLength);

    /// <summary>The destination address (4 or 16 bytes).</summary>
    public ReadOnlySpan<byte> Destination => IsIPv6
        ? _packet.Slice(Ipv6Header.DestinationOffset, Ipv6Header.AddressLength)
        : _packet.Slice(Ipv4Header.DestinationOffset, Ipv4Header.AddressLength);

    /// <summary>The IPv4 TTL or the IPv6 hop limit.</summary>
    public byte HopLimit => _packet[IsIPv6 ? Ipv6Header.HopLimitOffset : Ipv4Header.TimeToLiveOffset];

    /// <summary>Whether an IPv4 packet has DF set (always false for IPv6, which routers never fragment).</summary>
    public bool DontFragment =>
        !IsIPv6 && (BinaryPrimitives.ReadUInt16BigEndian(_packet[Ipv4Header.FlagsOffset..]) & Ipv4Header.DontFragmentFlag) != 0;

    /// <summary>The bytes from the transport header on (empty past a later fragment's offset it is the fragment's data).</summary>
    public ReadOnlySpan<byte> Transport => _packet[Layout.TransportOffset..];

    /// <summary>
    /// Parses the IP packet at the start of <paramref name="packet"/>; <see cref="DropReason.None"/> with its view, or
    /// the reason it is malformed (as <see cref="PacketParser.Parse"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static DropReason TryParse(ReadOnlySpan<byte> packet, out IpPacket view)
    {
        DropReason reason = PacketParser.Parse(packet, out PacketLayout layout);
        view = reason.IsNone ? new IpPacket(packet[..layout.PacketLength], layout) : default;
        return reason;
    }

    /// <summary>The TCP header, when the packet has one (TCP, not a later fragment).</summary>
    public bool TryGetTcp(out TcpHeader tcp)
    {
        tcp = default;
        return Layout.HasTransportHeader && Protocol == IpProtocol.Tcp && TcpHeader.TryRead(Transport, out tcp).IsNone;
    }

    /// <summary>The UDP header, when the packet has one (UDP, not a later fragment).</summary>
    public bool TryGetUdp(out UdpHeader udp)
    {
        udp = default;
        return Layout.HasTransportHeader && Protocol == IpProtocol.Udp
            && UdpHeader.TryRead(Transport, out udp, isFirstFragment: Layout.MoreFragments).IsNone;
    }

    /// <summary>The ICMP (IPv4) or ICMPv6 (IPv6) header, when the packet has one (not a later fragment).</summary>
    public bool TryGetIcmp(out IcmpHeader icmp)
    {
        icmp = default;
        return Layout.HasTransportHeader && Protocol == (IsIPv6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp)
            && IcmpHeader.TryRead(Transport, out icmp).IsNone;
    }

    /// <summary>
    /// The source address of the IP packet at the start of <paramref name="packet"/> (4 or 16 bytes, by the version
    /// nibble), or empty when the packet is of neither version or shorter than that version's fixed header. Nothing
    /// else is checked: for packets not (yet) parsed, such as replies other stages made.
    /// </summary>
    public static ReadOnlySpan<byte> SourceOf(ReadOnlySpan<byte> packet) =>
        AddressOf(packet, Ipv4Header.SourceOffset, Ipv6Header.SourceOffset);

    /// <summary>The destination address of the IP packet at the start of <paramref name="packet"/>, as <see cref="SourceOf"/>.</summary>
    public static ReadOnlySpan<byte> DestinationOf(ReadOnlySpan<byte> packet) =>
        AddressOf(packet, Ipv4Header.DestinationOffset, Ipv6Header.DestinationOffset);

    /// <summary>An address (4 or 16 bytes) as a number: IPv4 in the low 32 bits, IPv6 read big-endian; 0 for another length.</summary>
    public static UInt128 ToNumber(ReadOnlySpan<byte> address) => address.Length switch
    {
        Ipv4Header.AddressLength => BinaryPrimitives.ReadUInt32BigEndian(address),
        Ipv6Header.AddressLength => BinaryPrimitives.ReadUInt128BigEndian(address),
        _ => UInt128.Zero,
    };

    /// <summary>
    /// The two ports at the start of a TCP or UDP header (both begin with them): for a quote in an ICMP error, which
    /// carries only the first 8 bytes of the original's transport header. Zero when fewer than 4 bytes.
    /// </summary>
    public static void ReadPorts(ReadOnlySpan<byte> transport, out ushort sourcePort, out ushort destinationPort)
    {
        sourcePort = 0;
        destinationPort = 0;
        if (transport.Length >= 4)
        {
            sourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
            destinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport[2..]);
        }
    }

    /// <summary>The check every fixed header starts with: long enough for <paramref name="minLength"/>, of <paramref name="version"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static DropReason CheckFixedHeader(ReadOnlySpan<byte> packet, int version, int minLength)
    {
        if (packet.Length < minLength)
        {
            return PacketDropReasons.Truncated;
        }

        return packet[0] >> 4 == version ? DropReason.None : PacketDropReasons.BadIpVersion;
    }

    private static ReadOnlySpan<byte> AddressOf(ReadOnlySpan<byte> packet, int v4Offset, int v6Offset)
    {
        if (packet.IsEmpty)
        {
            return default;
        }

        return (packet[0] >> 4) switch
        {
            4 when packet.Length >= Ipv4Header.MinLength => packet.Slice(v4Offset, Ipv4Header.AddressLength),
            6 when packet.Length >= Ipv6Header.Length => packet.Slice(v6Offset, Ipv6Header.AddressLength),
            _ => default,
        };
    }
}
