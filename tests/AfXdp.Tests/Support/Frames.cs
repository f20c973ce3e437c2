using System.Buffers.Binary;
using RouterHost.Packets.Tests;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>Ethernet frames for the receive-path tests: valid IPv4/IPv6 packets behind a header, and broken ones.</summary>
internal static class Frames
{
    public const ulong LocalMac = 0x0000_5544_3322_1102; // 02:11:22:33:44:55
    public const ulong PeerMac = 0x0000_EEDD_CCBB_AA06;  // 06:aa:bb:cc:dd:ee

    public static byte[] Ipv4Packet(int payload = 32) => TestPackets.Udp(false, Payload(payload));

    public static byte[] Ipv6Packet(int payload = 32) => TestPackets.Udp(true, Payload(payload));

    private static byte[] Payload(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Destination MAC, source MAC, ethertype, then <paramref name="payload"/>, then <paramref name="padding"/> zero bytes.</summary>
    public static byte[] Ethernet(byte[] payload, ushort ethertype, ulong destination = LocalMac, int padding = 0)
    {
        var frame = new byte[14 + payload.Length + padding];
        BinaryPrimitives.WriteUInt64LittleEndian(frame, destination);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(6), PeerMac);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), ethertype);
        payload.CopyTo(frame, 14);
        return frame;
    }

    public static byte[] Ipv4Frame(int payload = 32, int padding = 0) => Ethernet(Ipv4Packet(payload), 0x0800, padding: padding);

    public static byte[] Ipv6Frame(int payload = 32) => Ethernet(Ipv6Packet(payload), 0x86DD);
}
