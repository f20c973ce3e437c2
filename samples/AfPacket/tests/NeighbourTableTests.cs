namespace RouterHost.Samples.AfPacket.Tests;

public sealed class NeighbourTableTests
{
    private static NeighbourTable Table(int capacity = 64) => new(capacity, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));

    [Fact]
    public void A_miss_asks_once_per_retry_interval()
    {
        NeighbourTable table = Table();

        Assert.Equal(NeighbourState.Request, table.Lookup(0x0A010002, 10_000, out _));
        Assert.Equal(NeighbourState.Pending, table.Lookup(0x0A010002, 10_500, out _));
        Assert.Equal(NeighbourState.Request, table.Lookup(0x0A010002, 11_000, out _));
    }

    [Fact]
    public void An_answer_resolves_a_pending_address_and_later_asks_to_refresh_it_while_still_used()
    {
        NeighbourTable table = Table();
        table.Lookup(0x0A010002, 10_000, out _);

        Assert.True(table.Learn(0x0A010002, Frames.HostMac, 10_100, create: false));
        Assert.Equal(NeighbourState.Resolved, table.Lookup(0x0A010002, 10_200, out ulong mac));
        Assert.Equal(Frames.HostMac, mac);
        Assert.Equal(NeighbourState.ResolvedRefresh, table.Lookup(0x0A010002, 40_100, out mac));
        Assert.Equal(Frames.HostMac, mac);
        Assert.Equal(NeighbourState.Resolved, table.Lookup(0x0A010002, 40_200, out _));
    }

    [Fact]
    public void Only_messages_to_our_addresses_create_entries()
    {
        NeighbourTable table = Table();

        Assert.False(table.Learn(0x0A010003, Frames.HostMac, 1, create: false));
        Assert.Equal(0UL, table.Peek(0x0A010003));
        Assert.True(table.Learn(0x0A010003, Frames.HostMac, 1, create: true));
        Assert.Equal(Frames.HostMac, table.Peek(0x0A010003));
    }

    [Fact]
    public void Group_and_zero_addresses_are_never_learned()
    {
        NeighbourTable table = Table();

        Assert.False(table.Learn(0x0A010003, Ethernet.Broadcast, 1, create: true));
        Assert.False(table.Learn(0x0A010003, 0x01_00_5E_00_00_01, 1, create: true));
        Assert.False(table.Learn(0, Frames.HostMac, 1, create: true));
    }

    [Fact]
    public void A_full_table_still_takes_new_addresses()
    {
        NeighbourTable table = Table(16);
        for (uint ip = 1; ip <= 200; ip++)
        {
            table.Learn(ip, 0x02_00_00_00_00_00UL + ip, 1, create: true);
        }

        Assert.True(table.Learn(5000, Frames.HostMac, 1, create: true));
        Assert.Equal(Frames.HostMac, table.Peek(5000));
    }

    [Fact]
    public void Concurrent_learners_and_readers_never_see_one_address_with_anothers_MAC()
    {
        NeighbourTable table = Table(32);
        using var stop = new CancellationTokenSource();
        bool torn = false;
        Thread[] learners = [.. Enumerable.Range(0, 2).Select(n => new Thread(() =>
        {
            for (uint round = 0; !stop.IsCancellationRequested; round++)
            {
                uint ip = 1 + ((round * 7 + (uint)n) % 100);
                table.Learn(ip, 0x02_00_00_00_00_00UL | ip, round, create: true);
            }
        }))];
        var reader = new Thread(() =>
        {
            for (long now = 0; !stop.IsCancellationRequested; now++)
            {
                uint ip = 1 + (uint)(now % 100);
                NeighbourState state = table.Lookup(ip, now, out ulong mac);
                if (state is NeighbourState.Resolved or NeighbourState.ResolvedRefresh && mac != (0x02_00_00_00_00_00UL | ip))
                {
                    torn = true;
                }
            }
        });
        foreach (Thread t in learners)
        {
            t.Start();
        }

        reader.Start();
        Thread.Sleep(300);
        stop.Cancel();
        foreach (Thread t in learners)
        {
            t.Join();
        }

        reader.Join();
        Assert.False(torn);
    }
}
