using System.Diagnostics.Metrics;
using RouterHost.Abstractions;
using RouterHost.Pipeline;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Pipeline;

public sealed class PipelineRunnerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private const string TwoInterfaces = """
        {
          "Pipeline": { "BatchSize": 16, "Stages": [
            { "Type": "PassThrough" },
            { "Type": "DependencyProbe", "Settings": { "Arguments": "--mark 7" } },
            { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
          "Interfaces": {
            "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } },
            "mem1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
        }
        """;

    [Fact]
    public void Packets_read_on_one_interface_walk_every_stage_and_arrive_byte_exact_where_the_chain_sends_them()
    {
        using TestRouter router = TestRouter.Start(TwoInterfaces);
        var sent = new List<byte[]>();
        for (int i = 0; i < 500; i++)
        {
            byte[] p = Bytes.Packet(0x45, i, 60 + (i % 1400));
            sent.Add(p);
            router.Exchange.Inject("mem0", 0, p);
        }

        List<byte[]> received = router.Exchange.Take("mem1", 0, "out", sent.Count, Wait);

        Assert.Equal(sent.Count, received.Count);
        for (int i = 0; i < sent.Count; i++)
        {
            // The DependencyProbe stage (System.CommandLine 3 inside the plugin) stamped its mark in byte 1.
            byte[] expected = (byte[])sent[i].Clone();
            expected[1] = 7;
            Assert.Equal(expected, received[i]);
        }

        Assert.Null(router.Fault);
    }

    [Fact]
    public void Counters_account_for_every_packet_per_queue_and_per_stage()
    {
        using TestRouter router = TestRouter.Start(TwoInterfaces);
        for (int i = 0; i < 100; i++)
        {
            router.Exchange.Inject("mem0", 0, Bytes.Packet(0x45, i, 100));
        }

        Assert.Equal(100, router.Exchange.Take("mem1", 0, "out", 100, Wait).Count);

        QueueStatistics mem0 = router.Runner.Metrics.SnapshotQueues().Single(q => q.Interface == "mem0");
        QueueStatistics mem1 = router.Runner.Metrics.SnapshotQueues().Single(q => q.Interface == "mem1");
        Assert.Equal(100, mem0.ReceivedPackets);
        Assert.Equal(10_000, mem0.ReceivedBytes);
        Assert.Equal(100, mem1.SentPackets);
        Assert.Equal(10_000, mem1.SentBytes);
        foreach (StageStatistics stage in router.Runner.Metrics.SnapshotStages())
        {
            Assert.Equal(100, stage.In);
            Assert.Equal(100, stage.Forwarded);
            Assert.Equal(10_000, stage.ForwardedBytes);
            Assert.Empty(stage.Dropped);
        }
    }

    [Fact]
    public void Counters_are_exposed_through_System_Diagnostics_Metrics()
    {
        using TestRouter router = TestRouter.Start(TwoInterfaces);
        for (int i = 0; i < 10; i++)
        {
            router.Exchange.Inject("mem0", 0, Bytes.Packet(0x45, i, 50));
        }

        Assert.Equal(10, router.Exchange.Take("mem1", 0, "out", 10, Wait).Count);

        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (var tag in tags)
            {
                key += $"|{tag.Key}={tag.Value}";
            }

            seen[key] = value;
        });
        listener.Start();

        // A lane publishes its counters when its batch ends, which can be after the packets reached the other queue.
        DateTime deadline = DateTime.UtcNow + Wait;
        do
        {
            seen.Clear();
            listener.RecordObservableInstruments();
            if (seen.GetValueOrDefault("routerhost.stage.forwarded.bytes|stage=PassThrough") == 500
                && seen.GetValueOrDefault("routerhost.interface.sent.packets|interface=mem1|queue=0") == 10)
            {
                break;
            }

            Thread.Sleep(10);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(10, seen["routerhost.interface.received.packets|interface=mem0|queue=0"]);
        Assert.Equal(500, seen["routerhost.interface.received.bytes|interface=mem0|queue=0"]);
        Assert.Equal(10, seen["routerhost.interface.sent.packets|interface=mem1|queue=0"]);
        Assert.Equal(10, seen["routerhost.stage.packets|stage=Forward|outcome=forwarded"]);
        Assert.Equal(500, seen["routerhost.stage.forwarded.bytes|stage=PassThrough"]);
    }

    [Fact]
    public void A_stage_reply_goes_back_to_the_ingress_queue_through_WriteFromSelf_and_the_original_is_counted_as_rejected()
    {
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "Stages": [ { "Type": "Bounce" }, { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
              "Interfaces": {
                "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } },
                "mem1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """);
        byte[] refused = Bytes.Packet(0xEE, 1, 80);
        byte[] passed = Bytes.Packet(0x45, 2, 80);
        router.Exchange.Inject("mem0", 0, refused);
        router.Exchange.Inject("mem0", 0, passed);

        byte[] reply = Assert.Single(router.Exchange.Take("mem0", 0, "self", 1, Wait));
        Assert.Equal("BOUNCE"u8.ToArray().Concat(refused).ToArray(), reply);
        Assert.Equal(passed, Assert.Single(router.Exchange.Take("mem1", 0, "out", 1, Wait)));
        Assert.Empty(router.Exchange.Drain("mem0", 0, "out"));

        StageStatistics bounce = router.Runner.Metrics.SnapshotStages()[0];
        Assert.Equal(1, bounce.Rejected["test.bounced"]);
        Assert.Equal(1, bounce.Emitted);
        Assert.Equal(1, bounce.Forwarded);
    }

    [Fact]
    public void Packets_no_stage_gives_an_egress_are_counted_as_no_egress_drops()
    {
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "Stages": [ { "Type": "PassThrough" } ] },
              "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """);
        for (int i = 0; i < 5; i++)
        {
            router.Exchange.Inject("mem0", 0, Bytes.Packet(0x45, i));
        }

        QueueStatistics mem0 = WaitFor(router, r => r.Runner.Metrics.SnapshotQueues().Single().ReceiveDrops.GetValueOrDefault("no_egress") == 5)
            .Runner.Metrics.SnapshotQueues().Single();
        Assert.Equal(5, mem0.ReceivedPackets);
        Assert.Equal(0, mem0.SentPackets);
    }

    [Fact]
    public void A_stage_that_throws_costs_only_its_batch_and_the_router_keeps_forwarding()
    {
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "BatchSize": 1, "Stages": [ { "Type": "Fault" }, { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
              "Interfaces": {
                "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } },
                "mem1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """);
        router.Exchange.Inject("mem0", 0, Bytes.Packet(0xDD, 1));
        router.Exchange.Inject("mem0", 0, Bytes.Packet(0x45, 2));

        byte[] passed = Assert.Single(router.Exchange.Take("mem1", 0, "out", 1, Wait));
        Assert.Equal(0x45, passed[0]);
        QueueStatistics mem0 = router.Runner.Metrics.SnapshotQueues().Single(q => q.Interface == "mem0");
        Assert.Equal(1, mem0.ReceiveDrops["stage_fault"]);
        Assert.Null(router.Fault);
    }

    [Fact]
    public void Several_queues_writing_to_one_queue_all_deliver()
    {
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "BatchSize": 8, "Stages": [ { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
              "Interfaces": {
                "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE", "Queues": 3 } },
                "mem1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE", "Queues": 1 } } }
            }
            """);
        const int PerQueue = 300;
        for (int q = 0; q < 3; q++)
        {
            for (int i = 0; i < PerQueue; i++)
            {
                router.Exchange.Inject("mem0", q, Bytes.Packet((byte)(0x40 + q), i));
            }
        }

        List<byte[]> received = router.Exchange.Take("mem1", 0, "out", 3 * PerQueue, Wait);

        Assert.Equal(3 * PerQueue, received.Count);
        for (int q = 0; q < 3; q++)
        {
            // Order is kept within each ingress queue.
            int[] sequence = received.Where(p => p[0] == 0x40 + q).Select(p => BitConverter.ToInt32(p, 2)).ToArray();
            Assert.Equal(Enumerable.Range(0, PerQueue), sequence);
        }

        Assert.Equal(3, router.Runner.Workers.Count(w => w.InterfaceName == "mem0"));
    }

    [Fact]
    public void Packets_a_queue_refuses_at_flush_are_counted_as_send_drops_not_as_sent()
    {
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "Stages": [ { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
              "Interfaces": {
                "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } },
                "mem1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE", "RefuseAtFlush": true } } }
            }
            """);
        for (int i = 0; i < 20; i++)
        {
            router.Exchange.Inject("mem0", 0, Bytes.Packet(0x45, i));
        }

        WaitFor(router, r => r.Runner.Metrics.SnapshotQueues().Single(q => q.Interface == "mem1").SendDrops.GetValueOrDefault("queue_full") == 20);
        QueueStatistics mem1 = router.Runner.Metrics.SnapshotQueues().Single(q => q.Interface == "mem1");
        Assert.Equal(0, mem1.SentPackets);
    }

    [Fact]
    public void Hairpinned_packets_leave_through_WriteFromSelf_on_the_queue_they_came_from()
    {
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "Stages": [ { "Type": "Forward", "Settings": { "To": "mem0" } } ] },
              "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE", "Queues": 2 } } }
            }
            """);
        router.Exchange.Inject("mem0", 1, Bytes.Packet(0x45, 9));

        Assert.Single(router.Exchange.Take("mem0", 1, "self", 1, Wait));
        Assert.Empty(router.Exchange.Drain("mem0", 1, "out"));
        Assert.Empty(router.Exchange.Drain("mem0", 0, "self"));
    }

    [Fact]
    public void Stopping_closes_every_queue_and_joins_every_worker()
    {
        TestRouter router = TestRouter.Start(TwoInterfaces);
        Assert.All(router.Runner.Workers, w => Assert.True(w.IsRunning));

        Assert.True(router.Runner.Stop(TimeSpan.FromSeconds(2)));

        Assert.All(router.Runner.Workers, w => Assert.False(w.IsRunning));
        router.Dispose();
        Assert.False(router.Exchange.IsPublished("mem0", 0));
        Assert.False(router.Exchange.IsPublished("mem1", 0));
    }

    [Fact]
    public void A_failing_queue_is_reported_to_the_host()
    {
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "Stages": [] },
              "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Mode": "Generate", "FailAfterReads": 3 } } }
            }
            """);

        WaitFor(router, r => r.Fault is not null);

        Assert.Contains("queue mem0/q0 failed", router.Fault!.Message, StringComparison.Ordinal);
        Assert.Contains("EBADFD", router.Fault.Message, StringComparison.Ordinal);
    }

    private static TestRouter WaitFor(TestRouter router, Func<TestRouter, bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Wait;
        while (!condition(router))
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            Thread.Sleep(10);
        }

        return router;
    }
}
