using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

/// <summary>
/// Builds well-formed IPv4/IPv6 TCP and UDP packets for tests, with checksums computed by the scalar reference
/// (so the code under test is checked against an independent oracle).
/// </summary>
internal static class TestPackets
{
    public static readonly byte[] SourceV4 = [192, 0, 2, 1];
    public static readonly byte[] DestinationV4 = [198, 51, 100, 7];
    public static readonly byte[] SourceV6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] DestinationV6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    public sealed record TcpSpec
    {
        public bool IPv6 { get; init; }
        public byte[]? Source { get; init; }
        public byte[]? Destination { get; init; }
        public ushort SourcePort { get; init; } = 40000;
        public ushort DestinationPort { get; init; } = 443;
        public uint Sequence { get; init; } = 1000;
        public uint Ack { get; init; } = 5000;
        public TcpFlags Flags { get; init; } = TcpFlags.Ack;
        public ushort Window { get; init; } = 512;
        public byte[] Options { get; init; } = [];
        public byte[] Payload { get; init; } = [];
        public ushort Id { get; init; } = 100;
        public bool DontFragment { get; init; } = true;
        public byte Ttl { get; init; } = 64;
        public byte Tos { get; init; }
        public uint FlowLabel { get; init; }
        public byte[] Ipv4Options { get; init; } = [];
    }

    public static byte[] Tcp(TcpSpec s)
    {
        int tcpLength = 20 + s.Options.Length;
        byte[] tcp = new byte[tcpLength + s.Payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, s.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), s.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), s.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), s.Ack);
        tcp[12] = (byte)(tcpLength / 4 << 4);
        tcp[13] = (byte)s.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), s.Window);
        s.Options.CopyTo(tcp, 20);
        s.Payload.CopyTo(tcp, tcpLength);
        return Ip(s.IPv6, IpProtocol.Tcp, tcp, 16, s.Source, s.Destination, s.Id, s.DontFragment, s.Ttl, s.Tos, s.FlowLabel, s.Ipv4Options);
    }

    public static byte[] Udp(bool ipv6, byte[] payload, ushort sourcePort = 5000, ushort destinationPort = 6000, ushort id = 100, bool dontFragment = true)
    {
        byte[] udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        return Ip(ipv6, IpProtocol.Udp, udp, 6, null, null, id, dontFragment, 64, 0, 0, []);
    }

    public static byte[] Icmp(bool ipv6, byte type, byte code, byte[] body)
    {
        byte[] icmp = new byte[8 + body.Length];
        icmp[0] = type;
        icmp[1] = code;
        body.CopyTo(icmp, 8);
        return Ip(ipv6, ipv6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp, icmp, 2, null, null, 1, true, 64, 0, 0, []);
    }

    private static byte[] Ip(
        bool ipv6, byte protocol, byte[] l4, int checksumOffset, byte[]? source, byte[]? destination,
        ushort id, bool dontFragment, byte ttl, byte tos, uint flowLabel, byte[] ipv4Options)
    {
        byte[] packet;
        int headerLength;
        if (ipv6)
        {
            source ??= SourceV6;
            destination ??= DestinationV6;
            headerLength = 40;
            packet = new byte[40 + l4.Length];
            BinaryPrimitives.WriteUInt32BigEndian(packet, (6u << 28) | ((uint)tos << 20) | (flowLabel & 0xFFFFF));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)l4.Length);
            packet[6] = protocol;
            packet[7] = ttl;
            source.CopyTo(packet, 8);
            destination.CopyTo(packet, 24);
        }
        else
        {
            source ??= SourceV4;
            destination ??= DestinationV4;
            headerLength = 20 + ipv4Options.Length;
            packet = new byte[headerLength + l4.Length];
            packet[0] = (byte)(0x40 | (headerLength / 4));
            packet[1] = tos;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
            packet[6] = dontFragment ? (byte)0x40 : (byte)0;
            packet[8] = ttl;
            packet[9] = protocol;
            source.CopyTo(packet, 12);
            destination.CopyTo(packet, 16);
            ipv4Options.CopyTo(packet, 20);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~InternetChecksum.SumScalar(packet.AsSpan(0, headerLength)));
        }

        l4.CopyTo(packet, headerLength);
        FixL4Checksum(packet, headerLength, protocol, checksumOffset);
        return packet;
    }

    /// <summary>Recomputes the L4 checksum (pseudo-header included except for ICMPv4) with the scalar reference.</summary>
    public static void FixL4Checksum(byte[] packet, int transportOffset, byte protocol, int checksumOffset)
    {
        Span<byte> l4 = packet.AsSpan(transportOffset);
        l4[checksumOffset] = 0;
        l4[checksumOffset + 1] = 0;
        ushort initial = protocol == IpProtocol.Icmp ? (ushort)0 : ScalarPseudo(packet, protocol, l4.Length);
        ushort checksum = (ushort)~InternetChecksum.SumScalar(l4, initial);
        if (checksum == 0 && protocol == IpProtocol.Udp)
        {
            checksum = 0xFFFF;
        }

        BinaryPrimitives.WriteUInt16BigEndian(l4[checksumOffset..], checksum);
    }

    /// <summary>The pseudo-header sum computed by building the pseudo-header bytes and summing them with the reference.</summary>
    public static ushort ScalarPseudo(byte[] packet, byte protocol, int l4Length)
    {
        if (packet[0] >> 4 == 6)
        {
            byte[] pseudo = new byte[40];
            packet.AsSpan(8, 32).CopyTo(pseudo);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)l4Length);
            pseudo[39] = protocol;
            return InternetChecksum.SumScalar(pseudo);
        }
        else
        {
            byte[] pseudo = new byte[12];
            packet.AsSpan(12, 8).CopyTo(pseudo);
            pseudo[9] = protocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo.AsSpan(10), (ushort)l4Length);
            return InternetChecksum.SumScalar(pseudo);
        }
    }

    /// <summary>Whether the IPv4 header (if any) and the L4 checksum of a TCP, UDP or ICMP packet verify, by the reference.</summary>
    public static bool ChecksumsValid(byte[] packet)
    {
        Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
        if (!layout.IsIPv6 && InternetChecksum.SumScalar(packet.AsSpan(0, layout.TransportOffset)) != 0xFFFF)
        {
            return false;
        }

        ReadOnlySpan<byte> l4 = packet.AsSpan(layout.TransportOffset, layout.PacketLength - layout.TransportOffset);
        ushort pseudo = layout.Protocol == IpProtocol.Icmp && !layout.IsIPv6 ? (ushort)0 : ScalarPseudo(packet, layout.Protocol, l4.Length);
        return InternetChecksum.SumScalar(l4, pseudo) == 0xFFFF;
    }

    public static byte[] Pattern(int length, int seed = 0)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + seed);
        }

        return bytes;
    }

    public static Packet AsPacket(byte[] bytes, int headroom = 0)
    {
        byte[] buffer = new byte[headroom + bytes.Length];
        bytes.CopyTo(buffer, headroom);
        return new Packet { Buffer = buffer, Offset = headroom, Length = bytes.Length };
    }
}
