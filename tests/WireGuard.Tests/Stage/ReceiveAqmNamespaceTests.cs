using System.Buffers.Binary;
using System.Net;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Underlay;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>
/// The receive path's AQM on a real socket across a veth pair between two namespaces: a bulk flow and a sparse flow
/// share one socket's FIFO, the kernel timestamps them, and what the AQM does is checked by what arrives and its counts
/// (the lane's clock is driven by the test; the sojourns are the kernel's).
/// </summary>
[NeedsRoot]
public sealed class ReceiveAqmNamespaceTests
{
    private const int Bulk = 1400;
    private const int Sparse = 84;

    [Fact]
    public void Behind_a_standing_bulk_queue_bulk_packets_are_dropped_and_every_sparse_packet_arrives_in_order()
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("aqm");
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse("192.168.77.2"), 0) { NetworkNamespace = net.B.Name, Gro = false });
        using UdpSocket sender = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse("192.168.77.1")) { NetworkNamespace = net.A.Name, Gso = false });
        using var queue = new UdpReceiveQueue(receiver, 0, 64, 64, 64);
        Assert.True(queue.Timestamps, "the kernel refused SO_TIMESTAMPNS");

        // 2 000 datagrams: a bulk flow's full-sized packets with a sparse flow's small one every 50th (a ping, an ACK).
        const int count = 2000;
        var batchSender = new UdpBatchSender(sender, 64);
        var drops = new DropTally();
        int sent = 0;
        byte[][] datagrams = Enumerable.Range(0, count).Select(i => Inner(i, i % 50 == 0 ? Sparse : Bulk)).ToArray();
        for (int i = 0; i < count; i++)
        {
            Assert.True(batchSender.TryAdd(receiver.LocalEndpoint, datagrams[i]));
            if (i % 64 == 63)
            {
                sent += batchSender.Flush(drops);
            }
        }

        sent += batchSender.Flush(drops);
        Assert.Equal(count, sent);
        Assert.Equal(0, drops.Total);

        // All of it sits in the receive buffer now (the veth delivers within the send); let it wait well past the target.
        Thread.Sleep(20);

        var aqm = new ReceiveAqm(new ReceiveAqmSettings(true, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5)));
        var batch = new PacketBatch(64);
        long now = 0;
        var arrived = new List<int>();
        var dropped = new List<int>();
        using var watchdog = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using CancellationTokenRegistration registration = watchdog.Token.Register(queue.Close);
        while (arrived.Count + dropped.Count < count && queue.Read(batch))
        {
            now += 1_000_000; // the lane takes 1 ms a batch: the standing queue lasts 32 intervals of 5 ms
            for (int i = 0; i < batch.Count; i++)
            {
                ref Packet p = ref batch[i];
                int index = BinaryPrimitives.ReadInt32BigEndian(p.Data[20..]);
                Assert.True(queue.SojournNs(p.SourceSlot) >= 1_000_000, $"datagram {index} waited only {queue.SojournNs(p.SourceSlot)} ns");
                aqm.Apply(ref p, queue.Index, queue.SojournNs(p.SourceSlot), now);
                (p.IsForwarded ? arrived : dropped).Add(index);
            }
        }

        Assert.Equal(count, arrived.Count + dropped.Count);
        Assert.Equal(Enumerable.Range(0, count), arrived.Concat(dropped).Order());
        Assert.Equal(arrived.Order(), arrived);
        Assert.NotEmpty(dropped);
        Assert.Equal(dropped.Count, aqm.Dropped);
        Assert.All(dropped, i => Assert.NotEqual(0, i % 50));
        Assert.Equal(Enumerable.Range(0, count / 50).Select(i => i * 50), arrived.Where(i => i % 50 == 0));
    }

    // An IPv4 packet of `length` bytes (not ECN-capable) whose payload starts with its index.
    private static byte[] Inner(int index, int length)
    {
        byte[] packet = GC.AllocateArray<byte>(length, pinned: true);
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        packet[8] = 64;
        packet[9] = 17;
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(20), index);
        return packet;
    }
}
