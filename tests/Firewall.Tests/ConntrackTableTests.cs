using RouterHost.Abstractions;
using RouterHost.Packets;
using static RouterHost.Firewall.Tests.TestPackets;

namespace RouterHost.Firewall.Tests;

public class ConntrackTableTests
{
    private const long Second = 1000;
    private static readonly ConntrackOptions Options = new() { TimestampFrequency = Second, Capacity = 1024 };

    private static PacketFields TcpOut(TcpFlags flags, ushort sport = 40000) => Fields(Tcp(V4A, V4B, sport, 443, flags), PortId.Interface(0), PortId.Peer(1));

    private static PacketFields TcpIn(TcpFlags flags, ushort dport = 40000) => Fields(Tcp(V4B, V4A, 443, dport, flags), PortId.Peer(1), PortId.Interface(0));

    [Fact]
    public void Tcp_handshake_data_and_close_walk_the_states_and_replies_hit()
    {
        var table = new ConntrackTable(Options);
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(TcpOut(TcpFlags.Syn), 0));
        Assert.Equal(ConntrackInsert.Inserted, table.Add(TcpOut(TcpFlags.Syn), PacketDirection.Outbound, 0));
        Assert.Equal(ConntrackState.TcpSynSent, State(table));

        Assert.Equal(ConntrackMatch.Reply, table.Lookup(TcpIn(TcpFlags.Syn | TcpFlags.Ack), 1));
        Assert.Equal(ConntrackState.TcpSynReceived, State(table));
        Assert.Equal(ConntrackMatch.Original, table.Lookup(TcpOut(TcpFlags.Ack), 2));
        Assert.Equal(ConntrackState.TcpEstablished, State(table));
        Assert.Equal(ConntrackMatch.Reply, table.Lookup(TcpIn(TcpFlags.Ack | TcpFlags.Psh), 3));

        Assert.Equal(ConntrackMatch.Original, table.Lookup(TcpOut(TcpFlags.Fin | TcpFlags.Ack), 4));
        Assert.Equal(ConntrackState.TcpClosing, State(table));
        Assert.Equal(ConntrackMatch.Reply, table.Lookup(TcpIn(TcpFlags.Fin | TcpFlags.Ack), 5));
        Assert.Equal(ConntrackState.TcpTimeWait, State(table));
        Assert.Equal(ConntrackMatch.Reply, table.Lookup(TcpIn(TcpFlags.Rst), 6));
        Assert.Equal(ConntrackState.TcpClosed, State(table));

        // Closed lasts 10 s, then the entry is gone.
        Assert.Equal(ConntrackMatch.Original, table.Lookup(TcpOut(TcpFlags.Ack), 6 + (9 * Second)));
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(TcpOut(TcpFlags.Ack), 6 + (9 * Second) + (11 * Second)));
        ConntrackCounters c = table.GetCounters();
        Assert.Equal((0, 1, 1), (c.Entries, c.Inserts, c.Expirations));
    }

    [Fact]
    public void A_reply_to_an_unknown_flow_misses()
    {
        var table = new ConntrackTable(Options);
        table.Add(TcpOut(TcpFlags.Syn, sport: 1), PacketDirection.Outbound, 0);
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(TcpIn(TcpFlags.Syn | TcpFlags.Ack, dport: 2), 1));
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(Fields(Udp(V4B, V4A, 443, 1)), 1));
    }

    [Fact]
    public void Udp_times_out_after_30_s_unreplied_and_180_s_replied()
    {
        var table = new ConntrackTable(Options);
        PacketFields query = Fields(Udp(V6A, V6B, 5353, 53));
        PacketFields answer = Fields(Udp(V6B, V6A, 53, 5353));
        table.Add(query, PacketDirection.Outbound, 0);
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(answer, 31 * Second));

        table.Add(query, PacketDirection.Outbound, 100 * Second);
        Assert.Equal(ConntrackMatch.Reply, table.Lookup(answer, 110 * Second));
        Assert.Equal(ConntrackState.Replied, State(table));
        Assert.Equal(ConntrackMatch.Original, table.Lookup(query, 289 * Second));
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(query, 470 * Second));
    }

    [Fact]
    public void Icmp_echo_is_tracked_by_identifier_and_only_requests_open()
    {
        var table = new ConntrackTable(Options);
        Assert.Equal(ConntrackInsert.NotTrackable, table.Add(Fields(Icmp(V4B, V4A, 0, id: 5)), PacketDirection.Inbound, 0));
        Assert.Equal(ConntrackInsert.NotTrackable, table.Add(Fields(Icmp(V4B, V4A, 3, 13)), PacketDirection.Inbound, 0));
        Assert.Equal(ConntrackInsert.Inserted, table.Add(Fields(Icmp(V4A, V4B, 8, id: 5)), PacketDirection.Outbound, 0));
        Assert.Equal(ConntrackMatch.Reply, table.Lookup(Fields(Icmp(V4B, V4A, 0, id: 5)), 1));
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(Fields(Icmp(V4B, V4A, 0, id: 6)), 1));
        Assert.Equal(ConntrackInsert.Inserted, table.Add(Fields(Icmp(V6A, V6B, 128, id: 5)), PacketDirection.Outbound, 0));
        Assert.Equal(ConntrackMatch.Reply, table.Lookup(Fields(Icmp(V6B, V6A, 129, id: 5)), 1));
    }

    [Fact]
    public void Rst_never_opens_a_connection()
    {
        var table = new ConntrackTable(Options);
        Assert.Equal(ConntrackInsert.NotTrackable, table.Add(TcpOut(TcpFlags.Rst), PacketDirection.Outbound, 0));
        Assert.Equal(0, table.GetCounters().Entries);
    }

    [Fact]
    public void When_a_bucket_is_full_the_oldest_unassured_entry_is_evicted_and_established_ones_are_kept()
    {
        // 64 slots = 8 buckets of 8: 200 flows overflow every bucket.
        var table = new ConntrackTable(Options with { Capacity = 64 });
        for (ushort i = 0; i < 64; i++)
        {
            PacketFields udp = Fields(Udp(V4A, V4B, (ushort)(1000 + i), 53));
            table.Add(udp, PacketDirection.Outbound, i);
            table.Lookup(Fields(Udp(V4B, V4A, 53, (ushort)(1000 + i))), i);
        }

        int established = (int)table.GetCounters().Entries;
        int lastInserted = -1;
        for (ushort i = 0; i < 200; i++)
        {
            ConntrackInsert r = table.Add(Fields(Udp(V4A, V4B, (ushort)(5000 + i), 53)), PacketDirection.Outbound, 100 + i);
            Assert.True(r is ConntrackInsert.Inserted or ConntrackInsert.Full);
            lastInserted = r == ConntrackInsert.Inserted ? i : lastInserted;
        }

        ConntrackCounters c = table.GetCounters();
        Assert.True(c.Entries <= table.Capacity);
        Assert.True(c.InsertFailures > 0 || c.Evictions > 0);

        // Every replied flow that existed before the flood survives it: only unreplied newcomers were evicted.
        int survivors = table.Snapshot().Count(f => f.State == ConntrackState.Replied);
        Assert.Equal(established, survivors);

        // Eviction takes the least recently seen: the newest insert is still there.
        Assert.True(lastInserted >= 0);
        Assert.Equal(ConntrackMatch.Original, table.Lookup(Fields(Udp(V4A, V4B, (ushort)(5000 + lastInserted), 53)), 400));
    }

    [Fact]
    public void Established_entries_are_evicted_only_when_allowed_and_then_oldest_first()
    {
        var table = new ConntrackTable(Options with { Capacity = 64, EvictEstablishedWhenFull = true });
        for (ushort i = 0; i < 300; i++)
        {
            table.Add(Fields(Udp(V4A, V4B, (ushort)(1000 + i), 53)), PacketDirection.Outbound, i);
            table.Lookup(Fields(Udp(V4B, V4A, 53, (ushort)(1000 + i))), i);
        }

        ConntrackCounters c = table.GetCounters();
        Assert.Equal(0, c.InsertFailures);
        Assert.Equal(300 - c.Entries, c.Evictions);
        Assert.Equal(ConntrackMatch.Original, table.Lookup(Fields(Udp(V4A, V4B, 1299, 53)), 301));
    }

    [Fact]
    public void Sweep_removes_expired_entries_incrementally()
    {
        var table = new ConntrackTable(Options);
        for (ushort i = 0; i < 100; i++)
        {
            table.Add(Fields(Udp(V4A, V4B, (ushort)(1000 + i), 53)), PacketDirection.Outbound, 0);
        }

        Assert.Equal(0, table.Sweep(10 * Second, table.Capacity));
        int removed = 0;
        for (int step = 0; step < table.Capacity / 64; step++)
        {
            removed += table.Sweep(31 * Second, 64);
        }

        Assert.Equal(100, removed);
        Assert.Equal((0L, 100L), (table.GetCounters().Entries, table.GetCounters().Expirations));
    }

    [Fact]
    public void Revalidation_removes_connections_the_new_rules_refuse()
    {
        var table = new ConntrackTable(Options);
        table.Add(TcpOut(TcpFlags.Syn, sport: 1), PacketDirection.Outbound, 0);
        table.Add(Fields(Tcp(V4A, V4B, 2, 22, TcpFlags.Syn)), PacketDirection.Outbound, 0);
        table.Add(Fields(Udp(V4A, V4B, 3, 53)), PacketDirection.Outbound, 0);

        CompiledRuleSet rules = CompiledRuleSet.Build(
            [new FirewallRule { Protocol = IpProtocol.Tcp, DestinationPorts = [PortRange.Single(443)] }],
            new FirewallDefaults(Outbound: RuleAction.Drop));
        int removed = table.Revalidate(flow => rules.Evaluate(flow.Original, flow.Direction).Action == RuleAction.Accept);

        Assert.Equal(2, removed);
        Assert.Equal(ConntrackMatch.Reply, table.Lookup(TcpIn(TcpFlags.Syn | TcpFlags.Ack, dport: 1), 1));
        Assert.Equal(ConntrackMatch.Miss, table.Lookup(Fields(Udp(V4B, V4A, 53, 3)), 1));
        Assert.Equal(2, table.GetCounters().Removals);
    }

    [Fact]
    public void Concurrent_workers_keep_the_table_consistent()
    {
        var table = new ConntrackTable(Options with { Capacity = 1 << 17 });
        const int Threads = 4;
        const int FlowsPerThread = 2000;
        int wrongMatches = 0;
        var barrier = new Barrier(Threads);
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            barrier.SignalAndWait();
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < FlowsPerThread; i++)
                {
                    // Flows shared by every thread (low ports) and private ones (per-thread source address).
                    byte[] src = [10, 0, (byte)t, (byte)(i % 200)];
                    ushort sport = (ushort)(i < 100 ? i : 1000 + i);
                    PacketFields outgoing = Fields(Udp(i < 100 ? V4A : src, V4B, sport, 53));
                    PacketFields reply = Fields(Udp(V4B, i < 100 ? V4A : src, 53, sport));
                    if (table.Lookup(outgoing, round) == ConntrackMatch.Miss)
                    {
                        table.Add(outgoing, PacketDirection.Outbound, round);
                    }

                    if (table.Lookup(reply, round) != ConntrackMatch.Reply)
                    {
                        Interlocked.Increment(ref wrongMatches);
                    }

                    if (i % 256 == 0)
                    {
                        table.Sweep(round, 64);
                    }
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        ConntrackCounters c = table.GetCounters();
        Assert.Equal((0L, 0L), (c.InsertFailures, c.Evictions));
        Assert.Equal(0, wrongMatches);
        IReadOnlyList<ConntrackFlow> flows = table.Snapshot();
        Assert.Equal(c.Entries, flows.Count);
        Assert.Equal(flows.Count, flows.Select(f => (f.Original.Source, f.Original.SourcePort)).Distinct().Count());
        Assert.Equal(100 + (Threads * (FlowsPerThread - 100)), flows.Count);
    }

    [Fact]
    public void Lookup_and_add_allocate_nothing()
    {
        var table = new ConntrackTable(Options);
        PacketFields syn = TcpOut(TcpFlags.Syn);
        PacketFields ack = TcpIn(TcpFlags.Syn | TcpFlags.Ack);
        table.Add(syn, PacketDirection.Outbound, 0);
        table.Lookup(ack, 0);
        table.Sweep(0, 64);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            table.Lookup(ack, i);
            table.Add(syn, PacketDirection.Outbound, i);
            table.Sweep(i, 64);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static ConntrackState State(ConntrackTable table) => Assert.Single(table.Snapshot()).State;
}
