using System.Buffers.Binary;
using RouterHost.Packets;

namespace RouterHost.Fuzz;

/// <summary>
/// Well-formed packets for seed inputs (addresses from the documentation ranges), and the checksum fix-up the packet
/// targets apply when an input asks for it: a mutated packet whose checksums are right goes deeper (GRO merges only
/// packets that verify) than one the fuzzer would have to get a 16-bit sum right for by chance.
/// </summary>
internal static class SeedPackets
{
    public static readonly byte[] SourceV4 = [192, 0, 2, 1];
    public static readonly byte[] DestinationV4 = [198, 51, 100, 7];
    public static readonly byte[] SourceV6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] DestinationV6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    /// <summary>A TCP segment (flags ACK unless given), checksums complete.</summary>
    public static byte[] Tcp(bool ipv6, int payload, uint sequence = 1000, byte flags = (byte)TcpFlags.Ack, ushort id = 100, byte[]? options = null, ushort destinationPort = 443)
    {
        options ??= [];
        int headerLength = 20 + options.Length;
        byte[] tcp = new byte[headerLength + payload];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), 5000);
        tcp[12] = (byte)(headerLength / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 512);
        options.CopyTo(tcp, 20);
        Pattern(tcp.AsSpan(headerLength), (int)sequence);
        return Ip(ipv6, IpProtocol.Tcp, tcp, id);
    }

    /// <summary>A UDP datagram, checksums complete.</summary>
    public static byte[] Udp(bool ipv6, int payload, ushort id = 100, ushort destinationPort = 6000, int seed = 0)
    {
        byte[] udp = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(udp, 5000);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        Pattern(udp.AsSpan(8), seed);
        return Ip(ipv6, IpProtocol.Udp, udp, id);
    }

    /// <summary>An ICMP or ICMPv6 message of <paramref name="type"/> with <paramref name="body"/>.</summary>
    public static byte[] Icmp(bool ipv6, byte type, byte code, byte[] body)
    {
        byte[] icmp = new byte[8 + body.Length];
        icmp[0] = type;
        icmp[1] = code;
        icmp[5] = 7;
        body.CopyTo(icmp, 8);
        return Ip(ipv6, ipv6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp, icmp, 1);
    }

    /// <summary>Wraps <paramref name="l4"/> in an IP header and completes every checksum.</summary>
    public static byte[] Ip(bool ipv6, byte protocol, byte[] l4, ushort id, bool dontFragment = true)
    {
        byte[] packet;
        if (ipv6)
        {
            packet = new byte[40 + l4.Length];
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)l4.Length);
            packet[6] = protocol;
            packet[7] = 64;
            SourceV6.CopyTo(packet, 8);
            DestinationV6.CopyTo(packet, 24);
            l4.CopyTo(packet, 40);
        }
        else
        {
            packet = new byte[20 + l4.Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
            packet[6] = dontFragment ? (byte)0x40 : (byte)0;
            packet[8] = 64;
            packet[9] = protocol;
            SourceV4.CopyTo(packet, 12);
            DestinationV4.CopyTo(packet, 16);
            l4.CopyTo(packet, 20);
        }

        FixChecksums(packet);
        return packet;
    }

    /// <summary>
    /// Completes the IPv4 header checksum and the TCP, UDP or ICMP checksum of a packet that parses, in place; a
    /// packet that does not parse (or a later fragment) is left as it is.
    /// </summary>
    public static void FixChecksums(Span<byte> packet)
    {
        if (!PacketParser.Parse(packet, out PacketLayout layout).IsNone)
        {
            return;
        }

        if (!layout.IsIPv6)
        {
            Ipv4Header.WriteChecksum(packet[..layout.TransportOffset]);
        }

        if (!layout.HasTransportHeader)
        {
            return;
        }

        Span<byte> l4 = packet[layout.TransportOffset..layout.PacketLength];
        int checksumOffset = layout.Protocol switch
        {
            IpProtocol.Tcp => TcpHeader.ChecksumOffset,
            IpProtocol.Udp => UdpHeader.ChecksumOffset,
            _ => IcmpHeader.ChecksumOffset,
        };
        if (layout.Protocol == IpProtocol.Udp)
        {
            // The UDP checksum covers what the UDP length says, not trailing bytes.
            l4 = l4[..layout.TransportLength];
        }

        l4[checksumOffset] = 0;
        l4[checksumOffset + 1] = 0;
        ushort pseudo = layout.Protocol == IpProtocol.Icmp ? (ushort)0 : PseudoHeaderChecksum.ForPacket(packet, layout.Protocol, l4.Length);
        ushort checksum = InternetChecksum.Compute(l4, pseudo);
        if (checksum == 0 && layout.Protocol == IpProtocol.Udp)
        {
            checksum = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumOffset..], checksum);
    }

    /// <summary>
    /// Whether a packet the router made itself verifies: it parses, its IPv4 header checksum (if IPv4) and its TCP,
    /// UDP or ICMP checksum are right.
    /// </summary>
    public static bool ChecksumsVerify(ReadOnlySpan<byte> packet)
    {
        if (!PacketParser.Parse(packet, out PacketLayout layout).IsNone || !layout.HasTransportHeader)
        {
            return false;
        }

        if (!layout.IsIPv6 && !InternetChecksum.Verifies(packet[..layout.TransportOffset]))
        {
            return false;
        }

        ReadOnlySpan<byte> l4 = packet.Slice(layout.TransportOffset, layout.TransportLength);
        ushort pseudo = layout.Protocol == IpProtocol.Icmp ? (ushort)0 : PseudoHeaderChecksum.ForPacket(packet, layout.Protocol, l4.Length);
        return InternetChecksum.Verifies(l4, pseudo);
    }

    private static void Pattern(Span<byte> bytes, int seed)
    {
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }
    }
}
