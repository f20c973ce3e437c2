using System.Buffers.Binary;
using RouterHost.Packets;

namespace RouterHost.Firewall.Tests;

/// <summary>Builds IPv4 and IPv6 packets with valid checksums for the firewall tests.</summary>
internal static class TestPackets
{
    public static readonly byte[] V4A = [10, 0, 0, 1];
    public static readonly byte[] V4B = [192, 168, 1, 2];
    public static readonly byte[] V6A = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    public static readonly byte[] V6B = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    public static byte[] Tcp(byte[] src, byte[] dst, ushort sport, ushort dport, TcpFlags flags, uint seq = 1000, uint ack = 0, int payload = 0)
    {
        byte[] l4 = new byte[20 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(8), ack);
        l4[12] = 0x50;
        l4[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 65535);
        for (int i = 0; i < payload; i++)
        {
            l4[20 + i] = (byte)(i * 7);
        }

        return Ip(src, dst, IpProtocol.Tcp, l4, checksumOffset: 16);
    }

    public static byte[] Udp(byte[] src, byte[] dst, ushort sport, ushort dport, int payload = 4)
    {
        byte[] l4 = new byte[8 + payload];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), (ushort)l4.Length);
        return Ip(src, dst, IpProtocol.Udp, l4, checksumOffset: 6);
    }

    public static byte[] Icmp(byte[] src, byte[] dst, byte type, byte code = 0, ushort id = 77, int payload = 8)
    {
        byte[] l4 = new byte[8 + payload];
        l4[0] = type;
        l4[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(6), 1);
        return Ip(src, dst, src.Length == 16 ? IpProtocol.IcmpV6 : IpProtocol.Icmp, l4, checksumOffset: 2);
    }

    public static byte[] Ip(byte[] src, byte[] dst, byte protocol, byte[] l4, int checksumOffset = -1)
    {
        bool v6 = src.Length == 16;
        int header = v6 ? 40 : 20;
        byte[] packet = new byte[header + l4.Length];
        if (v6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)l4.Length);
            packet[6] = protocol;
            packet[7] = 64;
            src.CopyTo(packet, 8);
            dst.CopyTo(packet, 24);
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[8] = 64;
            packet[9] = protocol;
            src.CopyTo(packet, 12);
            dst.CopyTo(packet, 16);
            Ipv4Header.WriteChecksum(packet.AsSpan(0, 20));
        }

        l4.CopyTo(packet, header);
        if (checksumOffset >= 0)
        {
            Span<byte> l4Span = packet.AsSpan(header);
            ushort pseudo = protocol == IpProtocol.Icmp ? (ushort)0 : PseudoHeaderChecksum.ForPacket(packet, protocol, l4.Length);
            BinaryPrimitives.WriteUInt16BigEndian(l4Span[checksumOffset..], InternetChecksum.Compute(l4Span, pseudo));
        }

        return packet;
    }

    public static PacketFields Fields(byte[] packet, Abstractions.PortId ingress = default, Abstractions.PortId egress = default)
    {
        Assert.True(PacketFields.TryRead(packet, ingress, egress, out PacketFields fields).IsNone);
        return fields;
    }
}
