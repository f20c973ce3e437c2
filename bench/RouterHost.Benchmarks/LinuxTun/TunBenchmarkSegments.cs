using System.Buffers.Binary;
using System.Net;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Benchmarks.LinuxTun;

/// <summary>Builds one IPv4 TCP flow's consecutive data segments (ACK, valid checksums) in pinned buffers with headroom.</summary>
internal static class TunBenchmarkSegments
{
    /// <summary>Bytes before each packet: room for the virtio-net header, so a single write carries both.</summary>
    public const int Headroom = 64;

    public static Packet[] Tcp(IPAddress source, IPAddress destination, int count, int mss)
    {
        var packets = new Packet[count];
        var random = new Random(11);
        for (int i = 0; i < count; i++)
        {
            int length = 40 + mss;
            byte[] buffer = GC.AllocateArray<byte>(Headroom + length, pinned: true);
            Span<byte> packet = buffer.AsSpan(Headroom, length);
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)length);
            BinaryPrimitives.WriteUInt16BigEndian(packet[4..], (ushort)(100 + i));
            packet[6] = 0x40; // DF
            packet[8] = 64;
            packet[9] = IpProtocol.Tcp;
            source.TryWriteBytes(packet[12..16], out _);
            destination.TryWriteBytes(packet[16..20], out _);
            Ipv4Header.WriteChecksum(packet[..20]);
            BinaryPrimitives.WriteUInt16BigEndian(packet[20..], 40000);
            BinaryPrimitives.WriteUInt16BigEndian(packet[22..], 5201);
            BinaryPrimitives.WriteUInt32BigEndian(packet[24..], 1_000_000u + (uint)(i * mss));
            BinaryPrimitives.WriteUInt32BigEndian(packet[28..], 1);
            packet[32] = 0x50;
            packet[33] = (byte)TcpFlags.Ack;
            BinaryPrimitives.WriteUInt16BigEndian(packet[34..], 1024);
            random.NextBytes(packet[40..]);
            ushort pseudo = PseudoHeaderChecksum.ForPacket(packet, IpProtocol.Tcp, length - 20);
            BinaryPrimitives.WriteUInt16BigEndian(packet[36..], InternetChecksum.Compute(packet[20..], pseudo));
            packets[i] = new Packet { Buffer = buffer, Offset = Headroom, Length = length };
        }

        return packets;
    }
}
