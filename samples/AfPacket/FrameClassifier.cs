using System.Buffers.Binary;
using RouterHost.Abstractions;
using RouterHost.Packets;
using static RouterHost.Samples.AfPacket.Interop.PacketSocketAbi;

namespace RouterHost.Samples.AfPacket;

/// <summary>What a received frame is to the router.</summary>
internal enum FrameKind : byte
{
    /// <summary>An IPv4 or IPv6 packet for the router to route.</summary>
    Ip,

    /// <summary>An ARP message (the backend learns neighbours from it; the kernel answers it).</summary>
    Arp,

    /// <summary>An IPv6 neighbour solicitation or advertisement, <c>ipLength</c> bytes after the Ethernet header (learned from; the kernel answers it).</summary>
    NeighbourDiscovery,

    /// <summary>The kernel's business, not the router's: its own addresses, broadcast/multicast, other ethertypes, tagged frames.</summary>
    ForHost,

    /// <summary>Malformed: counted under a drop reason.</summary>
    Dropped,
}

/// <summary>
/// The device's own addresses, which the kernel answers for (InterfaceAddressOwner.HostStack): frames to them are left
/// to it. IPv4 in the low 32 bits; IPv6 as a big-endian number.
/// </summary>
internal sealed class LocalAddresses(uint[] ipv4, UInt128[] ipv6)
{
    /// <summary>No addresses.</summary>
    public static LocalAddresses None { get; } = new([], []);

    /// <summary>The IPv4 addresses.</summary>
    public uint[] IPv4 { get; } = ipv4;

    /// <summary>The IPv6 addresses.</summary>
    public UInt128[] IPv6 { get; } = ipv6;

    /// <summary>Whether <paramref name="address"/> is one of the IPv4 addresses.</summary>
    public bool Contains(uint address)
    {
        foreach (uint a in IPv4)
        {
            if (a == address)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="address"/> is one of the IPv6 addresses.</summary>
    public bool Contains(UInt128 address)
    {
        foreach (UInt128 a in IPv6)
        {
            if (a == address)
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Classifies one frame read from the ring — outside input, so it trusts nothing: the Ethernet header, the IP header and
/// length, and the virtio-net header (re-derived by <see cref="VirtioOffload.Decode(in VirtioNetHeader, ReadOnlySpan{byte}, out GsoInfo)"/>).
/// Pure and allocation-free; it never throws.
/// </summary>
internal static class FrameClassifier
{
    /// <summary>
    /// Classifies <paramref name="frame"/> (from its Ethernet header, Ethernet padding included).
    /// <paramref name="vnet"/> is the virtio-net header the kernel wrote before it (empty when offloads are off),
    /// <paramref name="packetType"/> its sll_pkttype, <paramref name="status"/> its tp_status.
    /// For <see cref="FrameKind.Ip"/>: the packet is <paramref name="ipLength"/> bytes after the Ethernet header, and
    /// <paramref name="gso"/> says whether it is a superpacket or needs its checksum finished.
    /// </summary>
    public static FrameKind Classify(
        ReadOnlySpan<byte> frame, ReadOnlySpan<byte> vnet, byte packetType, uint status, int mtu, LocalAddresses local,
        out int ipLength, out GsoInfo gso, out DropReason drop)
    {
        ipLength = 0;
        gso = default;
        drop = DropReason.None;
        if (frame.Length < Ethernet.HeaderLength)
        {
            drop = AfPacketDropReasons.Runt;
            return FrameKind.Dropped;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        if (type == Ethernet.TypeArp)
        {
            return FrameKind.Arp;
        }

        // A VLAN tag the kernel took off (or one still in the frame) belongs to a VLAN device, not to this one.
        if ((status & TP_STATUS_VLAN_VALID) != 0)
        {
            return FrameKind.ForHost;
        }

        ReadOnlySpan<byte> ip = frame[Ethernet.HeaderLength..];
        bool v6 = type == Ethernet.TypeIPv6;
        if (v6 && TryIpLength(ip, v6: true, out ipLength) && NeighbourDiscovery.IsNeighbourDiscovery(ip[..ipLength]))
        {
            // Solicitations come multicast, advertisements to the kernel's own addresses: learned from whatever the type.
            return FrameKind.NeighbourDiscovery;
        }

        ipLength = 0;
        if (packetType != PACKET_HOST || (type != Ethernet.TypeIPv4 && !v6))
        {
            return FrameKind.ForHost;
        }
        if (!TryIpLength(ip, v6, out ipLength))
        {
            drop = AfPacketDropReasons.BadIp;
            return FrameKind.Dropped;
        }

        ip = ip[..ipLength];
        if (v6 ? local.Contains(BinaryPrimitives.ReadUInt128BigEndian(ip[24..])) : local.Contains(BinaryPrimitives.ReadUInt32BigEndian(ip[16..])))
        {
            return FrameKind.ForHost;
        }

        if (!vnet.IsEmpty)
        {
            if (!VirtioNetHeader.TryRead(vnet, out VirtioNetHeader header))
            {
                drop = AfPacketDropReasons.BadOffload;
                return FrameKind.Dropped;
            }

            // The kernel counts csum_start from the frame's start (the Ethernet header); GsoInfo counts from the IP header.
            if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0)
            {
                if (header.ChecksumStart < Ethernet.HeaderLength)
                {
                    drop = AfPacketDropReasons.BadOffload;
                    return FrameKind.Dropped;
                }

                header = header with { ChecksumStart = (ushort)(header.ChecksumStart - Ethernet.HeaderLength) };
            }

            if (!VirtioOffload.Decode(header, ip, out gso).IsNone)
            {
                drop = AfPacketDropReasons.BadOffload;
                return FrameKind.Dropped;
            }

            if (ipLength > mtu && !gso.IsSuperpacket)
            {
                drop = AfPacketDropReasons.OversizeFrame;
                return FrameKind.Dropped;
            }

            return FrameKind.Ip;
        }

        // Offloads off: the ring still says when the checksum is partial (CHECKSUM_PARTIAL), and a frame over the MTU is
        // what GRO made of a TCP stream; it is cut again at segments that fit the MTU.
        bool partial = (status & TP_STATUS_CSUMNOTREADY) != 0;
        if (!partial && ipLength <= mtu)
        {
            return FrameKind.Ip;
        }

        if (!TryTransport(ip, v6, out int l4, out byte protocol))
        {
            drop = ipLength > mtu ? AfPacketDropReasons.OversizeFrame : AfPacketDropReasons.BadOffload;
            return FrameKind.Dropped;
        }

        if (partial)
        {
            gso.NeedsChecksum = true;
            gso.ChecksumStart = (ushort)l4;
            gso.ChecksumOffset = protocol == IpProtocol.Tcp ? (ushort)16 : (ushort)6;
            if (l4 + gso.ChecksumOffset + 2 > ipLength)
            {
                drop = AfPacketDropReasons.BadOffload;
                return FrameKind.Dropped;
            }
        }

        if (ipLength > mtu)
        {
            int headers = protocol == IpProtocol.Tcp && l4 + 20 <= ipLength ? l4 + ((ip[l4 + 12] >> 4) * 4) : 0;
            if (!partial || headers < l4 + 20 || headers >= ipLength || mtu - headers < 8)
            {
                drop = AfPacketDropReasons.OversizeFrame;
                return FrameKind.Dropped;
            }

            gso.Type = v6 ? GsoType.TcpV6 : GsoType.TcpV4;
            gso.HeaderLength = (ushort)headers;
            gso.SegmentSize = (ushort)(mtu - headers);
        }

        return FrameKind.Ip;
    }

    /// <summary>The IP packet's own length (without Ethernet padding); false when the header does not fit or disagrees.</summary>
    private static bool TryIpLength(ReadOnlySpan<byte> ip, bool v6, out int length)
    {
        length = 0;
        if (v6)
        {
            if (ip.Length < 40 || (ip[0] >> 4) != 6)
            {
                return false;
            }

            length = 40 + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            return length <= ip.Length;
        }

        if (ip.Length < 20 || (ip[0] >> 4) != 4)
        {
            return false;
        }

        int headerLength = (ip[0] & 0x0F) * 4;
        length = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        return headerLength >= 20 && length >= headerLength && length <= ip.Length;
    }

    /// <summary>Where the TCP or UDP header starts (no IPv6 extension headers); false for anything else.</summary>
    private static bool TryTransport(ReadOnlySpan<byte> ip, bool v6, out int offset, out byte protocol)
    {
        offset = v6 ? 40 : (ip[0] & 0x0F) * 4;
        protocol = v6 ? ip[6] : ip[9];
        if (protocol != IpProtocol.Tcp && protocol != IpProtocol.Udp)
        {
            return false;
        }

        if (!v6 && (BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0)
        {
            return false; // a fragment: no transport header to checksum
        }

        return offset + (protocol == IpProtocol.Tcp ? 20 : 8) <= ip.Length;
    }
}
