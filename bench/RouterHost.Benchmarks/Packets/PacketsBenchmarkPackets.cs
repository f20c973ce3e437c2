using System.Buffers.Binary;
using RouterHost.Packets;

namespace RouterHost.Benchmarks.Packets;

/// <summary>Builds the IPv4 TCP packets the packet benchmarks use, with valid checksums.</summary>
internal static class PacketsBenchmarkPackets
{
    public static byte[] Tcp(int payloadLength, uint sequence, ushort id)
    {
        byte[] packet = new byte[40 + payloadLength];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
        packet[6] = 0x40;
        packet[8] = 64;
        packet[9] = IpProtocol.Tcp;
        byte[] addresses = [10, 0, 0, 1, 10, 0, 0, 2];
        addresses.CopyTo(packet, 12);
        Ipv4Header.WriteChecksum(packet.AsSpan(0, 20));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 443);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(24), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(28), 1);
        packet[32] = 0x50;
        packet[33] = (byte)TcpFlags.Ack;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(34), 1024);
        new Random(7).NextBytes(packet.AsSpan(40));
        ushort pseudo = PseudoHeaderChecksum.ForPacket(packet, IpProtocol.Tcp, packet.Length - 20);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(36), InternetChecksum.Compute(packet.AsSpan(20), pseudo));
        return packet;
    }
}
