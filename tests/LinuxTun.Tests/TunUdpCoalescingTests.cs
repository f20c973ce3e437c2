using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Packets;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>
/// UDP written to a real TUN with USO: runs of one flow leave the queue's write path as USO superpackets, and the
/// kernel, segmenting them again, must hand the receiving socket every datagram intact and in order.
/// </summary>
[NeedsRoot]
public sealed class TunUdpCoalescingTests
{
    private static readonly byte[] s_device = [10, 77, 5, 1];
    private static readonly byte[] s_peer = [10, 77, 5, 2];

    [Fact]
    public void Udp_runs_written_as_USO_superpackets_reach_the_socket_datagram_by_datagram_intact()
    {
        using var ns = NetworkNamespace.Create("tunu");
        using TunContainer tun = TunContainerTests.Open(ns, ("Addresses:0", "10.77.5.1/24"));
        Assert.True(tun.Offloads.Uso, $"USO was not negotiated ({tun.Offloads})");
        var queue = (TunQueue)tun.Queues[0];
        Assert.True(queue.Coalescing);
        using Socket socket = NetworkNamespaceThread.Run(ns.Name, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 8 << 20 };
            s.Bind(new IPEndPoint(new IPAddress(s_device), 0));
            return s;
        });
        ushort port = (ushort)((IPEndPoint)socket.LocalEndPoint!).Port;

        // A run of 40 equal datagrams and a short last one (one superpacket), 64-byte IP packets (the rate search's
        // smallest), then datagrams of growing size (each its own write), and a second flow interleaved.
        var expected = new List<byte[]>();
        var packets = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            packets.Add(Udp(5000, port, Payload(36, i), (ushort)i));
        }

        packets.Add(Udp(5000, port, Payload(20, 40), 40));
        for (int i = 0; i < 6; i++)
        {
            packets.Add(Udp(5000, port, Payload(100 + i, 50 + i), (ushort)(50 + i)));
            packets.Add(Udp(5001, port, Payload(36, 70 + i), (ushort)(70 + i)));
        }

        var drops = new DropTally();
        foreach (byte[] ip in packets)
        {
            expected.Add(ip[28..]);
            var buffer = new byte[TunQueue.Headroom + ip.Length];
            ip.CopyTo(buffer, TunQueue.Headroom);
            var packet = new Packet { Buffer = buffer, Offset = TunQueue.Headroom, Length = ip.Length };
            Assert.Equal(DropReason.None, queue.Write(in packet));
        }

        queue.Flush(drops);
        Assert.Equal(0, drops.Total);
        Assert.True(queue.SuperpacketsWritten >= 1, "nothing was coalesced");
        Assert.True(queue.SegmentsWritten >= 41, $"{queue.SegmentsWritten} segments in {queue.SuperpacketsWritten} superpackets");

        // Per source port, the datagrams arrive in the order written, each byte-exact.
        var received = new Dictionary<int, List<byte[]>>();
        var buffer2 = new byte[2048];
        socket.ReceiveTimeout = 10_000;
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        for (int i = 0; i < expected.Count; i++)
        {
            int n = socket.ReceiveFrom(buffer2, ref from);
            int source = ((IPEndPoint)from).Port;
            if (!received.TryGetValue(source, out List<byte[]>? list))
            {
                received[source] = list = [];
            }

            list.Add(buffer2[..n]);
        }

        Assert.Equal(expected.Where((_, i) => BinaryPrimitives.ReadUInt16BigEndian(packets[i].AsSpan(20)) == 5000), received[5000]);
        Assert.Equal(expected.Where((_, i) => BinaryPrimitives.ReadUInt16BigEndian(packets[i].AsSpan(20)) == 5001), received[5001]);
        Assert.Equal(0, socket.Available);
    }

    private static byte[] Payload(int length, int seed)
    {
        var payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)((seed * 31) + i);
        }

        return payload;
    }

    // An IPv4 UDP datagram from 10.77.5.2 to the device's address, DF set, both checksums correct.
    private static byte[] Udp(ushort sourcePort, ushort destinationPort, byte[] payload, ushort id)
    {
        var packet = new byte[28 + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), Ipv4Header.DontFragmentFlag);
        packet[8] = 64;
        packet[9] = IpProtocol.Udp;
        s_peer.CopyTo(packet, 12);
        s_device.CopyTo(packet, 16);
        Ipv4Header.WriteChecksum(packet.AsSpan(0, 20));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payload.Length));
        payload.CopyTo(packet, 28);
        ushort pseudo = PseudoHeaderChecksum.IPv4(s_peer, s_device, IpProtocol.Udp, 8 + payload.Length);
        ushort checksum = InternetChecksum.Compute(packet.AsSpan(20), pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(26), checksum == 0 ? (ushort)0xFFFF : checksum);
        return packet;
    }
}
