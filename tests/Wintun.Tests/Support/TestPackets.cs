using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Plugins.Wintun.Tests.Support;

/// <summary>Small IP packets for the queue tests.</summary>
internal static class TestPackets
{
    /// <summary>An IPv4/UDP packet of <paramref name="length"/> bytes whose payload bytes are <paramref name="tag"/>.</summary>
    public static byte[] Udp4(int length, byte tag = 0x5A)
    {
        byte[] p = new byte[length];
        p.AsSpan(28).Fill(tag);
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)length);
        p[8] = 64;
        p[9] = 17;
        new byte[] { 10, 0, 0, 1 }.CopyTo(p, 12);
        new byte[] { 10, 0, 0, 2 }.CopyTo(p, 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 4000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 5000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(length - 20));
        return p;
    }

    /// <summary>A packet in a buffer with headroom and tailroom, as a stage would hand it to a queue.</summary>
    public static Packet AsPacket(byte[] bytes, int headroom = 64, int tailroom = 64)
    {
        byte[] buffer = new byte[headroom + bytes.Length + tailroom];
        bytes.CopyTo(buffer, headroom);
        return new Packet { Buffer = buffer, Offset = headroom, Length = bytes.Length };
    }
}
