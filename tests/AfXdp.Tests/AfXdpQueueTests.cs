using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// Two AF_XDP interfaces on the two ends of one veth, driven directly (no runner): what one queue writes, the other
/// reads, framed for it, and a steady stream allocates nothing on the thread that moves it.
/// </summary>
[NeedsRoot]
public sealed class AfXdpQueueTests
{
    private const int Batch = 64;

    [Fact]
    public void What_one_AF_XDP_queue_writes_the_other_end_reads_whole_and_a_steady_stream_allocates_nothing()
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xq");
        using var veth = VethPair.Create(ns, "v0", ns, "v1");
        using IContainer sender = Create(ns, "v0");
        using IContainer receiver = Create(ns, "v1");
        // The destination's MAC, as a static entry of the kernel's neighbour table (used as it is).
        string mac = veth.SecondMacAddress.ToString();
        ns.Ip("neigh", "add", "198.51.100.2", "lladdr", string.Join(':', Enumerable.Range(0, 6).Select(i => mac.Substring(i * 2, 2))), "dev", "v0", "nud", "permanent").EnsureSuccess();

        IQueue write = sender.Queues[0];
        IQueue read = receiver.Queues[0];
        byte[][] packets = [.. Enumerable.Range(0, Batch).Select(i => Packets.Tests.TestPackets.Udp(false, new byte[100 + i], destinationPort: (ushort)(7000 + i)))];
        foreach (byte[] p in packets)
        {
            p[16] = 198; p[17] = 51; p[18] = 100; p[19] = 2;  // to 198.51.100.2 (the checksum does not matter here)
        }

        var outgoing = new Packet[Batch];
        for (int i = 0; i < Batch; i++)
        {
            outgoing[i] = new Packet { Buffer = packets[i], Offset = 0, Length = packets[i].Length };
        }

        var batch = new PacketBatch(Batch);
        var drops = new DropTally();

        // The first packets only ask for the neighbour; once it is in, every packet goes.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!write.Write(outgoing[0]).IsNone)
        {
            Assert.True(DateTime.UtcNow < deadline, "the neighbour never resolved");
            Thread.Sleep(10);
        }

        write.Flush(drops);
        var last = new byte[2048];
        int lastLength = ReadExactly(read, batch, 1, last);
        Assert.Equal(packets[0], last.AsSpan(0, lastLength).ToArray());

        for (int round = 0; round < 50; round++)
        {
            SendAndReceive(write, read, outgoing, batch, drops, last);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 200; round++)
        {
            lastLength = SendAndReceive(write, read, outgoing, batch, drops, last);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(0, drops.Total);
        Assert.Equal(packets[^1], last.AsSpan(0, lastLength).ToArray());
    }

    [Fact]
    public void A_packet_larger_than_the_MTU_or_a_frame_or_a_superpacket_is_refused_by_the_queue_itself()
    {
        // Routing keeps such packets away (it knows the MTU, and segments superpackets for a queue that is no
        // IGsoWriter); the queue still refuses them for any stage that does not.
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xq");
        using var veth = VethPair.Create(ns, "v0", ns, "v1");
        using IContainer sender = Create(ns, "v0");
        IQueue write = sender.Queues[0];
        byte[] overMtu = Packets.Tests.TestPackets.Udp(false, new byte[2000 - 28]);
        byte[] overFrame = Packets.Tests.TestPackets.Udp(false, new byte[5000 - 28]);

        Assert.Equal(AfXdpDropReasons.LargerThanMtu, write.Write(new Packet { Buffer = overMtu, Length = overMtu.Length }));
        Assert.Equal(AfXdpDropReasons.LargerThanFrame, write.Write(new Packet { Buffer = overFrame, Length = overFrame.Length }));
        byte[] small = Packets.Tests.TestPackets.Udp(false, new byte[300]);
        var super = new Packet { Buffer = small, Length = small.Length };
        super.Gso = new GsoInfo { Type = GsoType.UdpL4, SegmentSize = 100, HeaderLength = 28, ChecksumStart = 20, ChecksumOffset = 6, NeedsChecksum = true };
        Assert.IsNotAssignableFrom<IGsoWriter>(write);
        Assert.Equal(DropReason.GsoUnsupported, write.Write(in super));
        Assert.Equal(DropReason.GsoUnsupported, write.WriteFromSelf(in super));
        Assert.Equal(1500, ((IInterfaceLinkProvider)sender).Link.Mtu);
        Assert.Equal(InterfaceAddressOwner.Router, ((IInterfaceLinkProvider)sender).Link.Owner);
    }

    private static int SendAndReceive(IQueue write, IQueue read, Packet[] outgoing, PacketBatch batch, DropTally drops, byte[] last)
    {
        for (int i = 0; i < outgoing.Length; i++)
        {
            if (!write.Write(outgoing[i]).IsNone)
            {
                throw new InvalidOperationException("a write was refused");
            }
        }

        write.Flush(drops);
        return ReadExactly(read, batch, outgoing.Length, last);
    }

    /// <summary>
    /// Reads until <paramref name="count"/> of the test's packets (IPv4 to 198.51.100.2) arrived, copying the last
    /// into <paramref name="last"/> and returning its length. The kernel's own frames on the link (IPv6 MLD reports,
    /// router solicitations when the veth comes up) are read too and passed over: they are not the test's.
    /// </summary>
    private static int ReadExactly(IQueue queue, PacketBatch batch, int count, byte[] last)
    {
        int received = 0;
        int lastLength = 0;
        while (received < count)
        {
            if (!queue.Read(batch) || batch.ReadDrops.Total != 0)
            {
                throw new InvalidOperationException("the read failed or refused frames");
            }

            for (int i = 0; i < batch.Count; i++)
            {
                ReadOnlySpan<byte> data = batch[i].Data;
                if (data.Length >= 20 && data[0] == 0x45 && data[16] == 198 && data[17] == 51 && data[18] == 100 && data[19] == 2)
                {
                    received++;
                    data.CopyTo(last);
                    lastLength = data.Length;
                }
            }
        }

        if (received != count)
        {
            throw new InvalidOperationException($"{received} of the test's packets arrived where {count} were sent");
        }

        return lastLength;
    }

    private static IContainer Create(NetworkNamespace ns, string device)
    {
        string document = $$"""{ "Interfaces": { "{{device}}": { "Settings": { "Namespace": "{{ns.Name}}", "Device": "{{device}}", "Mtu": 1500 } } } }""";
        IConfigurationSection section = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(document))).Build().GetSection($"Interfaces:{device}:Settings");
        return new AfXdpBackendPlugin().Create(new BackendContext(device, section, NullLoggerFactory.Instance, 1, Batch));
    }
}
