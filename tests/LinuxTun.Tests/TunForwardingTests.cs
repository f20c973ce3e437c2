using RouterHost.Pipeline;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>
/// The TUN backend between two kernels: TCP from namespace A to namespace B crosses RouterHost, which reads
/// from one TUN device and writes to the other. The kernels are the oracle: the bytes must arrive exact.
/// </summary>
[NeedsRoot]
public sealed class TunForwardingTests
{
    private const long Megabytes32 = 32L << 20;

    [Fact]
    public void Kernel_TCP_through_the_device_arrives_as_superpackets_with_their_GSO_metadata_and_is_forwarded_byte_exact()
    {
        using var router = TwoNamespaceRouter.Start();

        var (sent, received) = router.TransferAToB(ipv6: false, Megabytes32).Single();

        Assert.Equal(sent, received);
        Assert.Null(router.Fault);
        var seen = router.Seen;
        Assert.True(seen.GetValueOrDefault("A.superpackets.TcpV4") > 0, "no TSO superpackets were read from A");
        Assert.Equal(1448, seen["A.max_segment_size"]);          // MTU 1500 - 20 (IPv4) - 32 (TCP with timestamps)
        Assert.Equal(52, seen["A.max_header_length"]);
        Assert.Equal(52, seen["A.min_header_length"]);
        Assert.InRange(seen["A.max_superpacket_length"], 1501, 65535);
        Assert.Equal(0, seen.GetValueOrDefault("A.superpackets_without_needs_csum"));
        Assert.True(TwoNamespaceRouter.TunCounters()["tunB:routerhost.tun.superpackets.written"] > 0);
    }

    [Fact]
    public void IPv6_superpackets_are_read_with_their_metadata_and_forwarded_byte_exact()
    {
        using var router = TwoNamespaceRouter.Start();

        var (sent, received) = router.TransferAToB(ipv6: true, Megabytes32).Single();

        Assert.Equal(sent, received);
        var seen = router.Seen;
        Assert.True(seen.GetValueOrDefault("A.superpackets.TcpV6") > 0, "no IPv6 TSO superpackets were read from A");
        Assert.Equal(1428, seen["A.max_segment_size"]);          // 1500 - 40 (IPv6) - 32 (TCP with timestamps)
        Assert.Equal(72, seen["A.max_header_length"]);
    }

    [Fact]
    public void Superpackets_for_a_device_without_offloads_are_segmented_by_RouterHost_and_the_stream_is_exact()
    {
        using var router = TwoNamespaceRouter.Start(offloadsB: """{ "Enabled": false }""");
        Assert.False(router.Container("tunB").Offloads.VnetHeader);
        Assert.True(router.Container("tunA").Offloads.Tso);

        var (sent, received) = router.TransferAToB(ipv6: false, Megabytes32).Single();

        Assert.Equal(sent, received);
        Assert.True(router.Seen.GetValueOrDefault("A.superpackets.TcpV4") > 0);
        QueueStatistics b = router.Runner.Metrics.SnapshotQueues().Single(q => q.Interface == "tunB");
        Assert.True(b.SentPackets > router.Seen["A.superpackets.TcpV4"], "superpackets were not split into segments");
        Assert.Empty(b.SendDrops);
    }

    [Fact]
    public void Segments_coalesced_into_superpackets_by_RouterHost_are_accepted_by_the_kernel_without_retransmission()
    {
        // A without offloads: the kernel hands RouterHost MTU-sized segments, which the write path to B coalesces.
        // A's transmit queue is made deep enough that reading never falls behind it: the only way a segment
        // could then need retransmitting is B's kernel refusing or misreading a superpacket we wrote.
        using var router = TwoNamespaceRouter.Start(offloadsA: """{ "Enabled": false }""", txQueueLength: 100_000);
        Dictionary<string, long> before = TwoNamespaceRouter.TcpCounters(router.A);

        var (sent, received) = router.TransferAToB(ipv6: false, Megabytes32).Single();

        Assert.Equal(sent, received);
        Dictionary<string, long> tun = TwoNamespaceRouter.TunCounters();
        long superpackets = tun["tunB:routerhost.tun.superpackets.written"];
        long segments = tun["tunB:routerhost.tun.segments.written"];
        Assert.True(superpackets > 0, "nothing was coalesced");
        Assert.True(segments > 2 * superpackets, $"{segments} segments in {superpackets} superpackets: little coalescing");
        Assert.Equal(0, router.Seen.GetValueOrDefault("A.superpackets.TcpV4"));
        Assert.Equal(0, TwoNamespaceRouter.TxDropped(router.A));
        Assert.Empty(router.Runner.Metrics.SnapshotQueues().Single(q => q.Interface == "tunB").SendDrops);
        // No loss recovery of any kind. The only retransmissions allowed are tail-loss probes: speculative
        // re-sends when an ACK is late (scheduling on a busy machine), never a repair of data that did not arrive.
        Dictionary<string, long> after = TwoNamespaceRouter.TcpCounters(router.A);
        long Delta(string key) => after.GetValueOrDefault(key) - before.GetValueOrDefault(key);
        Assert.Equal(0, Delta("TcpExt.TCPSackRecovery"));
        Assert.Equal(0, Delta("TcpExt.TCPFastRetrans"));
        Assert.Equal(0, Delta("TcpExt.TCPTimeouts"));
        Assert.True(Delta("Tcp.RetransSegs") <= Delta("TcpExt.TCPLossProbes"), $"{Delta("Tcp.RetransSegs")} retransmissions, {Delta("TcpExt.TCPLossProbes")} of them loss probes");
    }

    [Fact]
    public void With_offloads_disabled_on_both_devices_the_backend_works_as_a_plain_TUN()
    {
        using var router = TwoNamespaceRouter.Start(offloadsA: """{ "Enabled": false }""", offloadsB: """{ "Enabled": false }""");

        var (sent, received) = router.TransferAToB(ipv6: false, 8L << 20).Single();

        Assert.Equal(sent, received);
        Assert.False(router.Container("tunA").Offloads.VnetHeader);
        Assert.Equal(0, router.Seen.GetValueOrDefault("A.superpackets.TcpV4"));
    }

    [Fact]
    public void With_several_queues_traffic_of_several_flows_arrives_on_more_than_one_queue()
    {
        using var router = TwoNamespaceRouter.Start(queues: 4);
        Assert.Equal(4, router.Container("tunA").Queues.Count);

        var results = router.TransferAToB(ipv6: false, 2L << 20, flows: 8);

        Assert.All(results, r => Assert.Equal(r.Sent, r.Received));
        int busyQueues = router.Runner.Metrics.SnapshotQueues().Count(q => q.Interface == "tunA" && q.ReceivedPackets > 0);
        Assert.True(busyQueues >= 2, $"only {busyQueues} of tunA's 4 queues received packets");
    }
}
