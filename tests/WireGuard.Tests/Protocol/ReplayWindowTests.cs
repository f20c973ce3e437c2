using FsCheck;
using FsCheck.Fluent;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Tests.Protocol;

public sealed class ReplayWindowTests
{
    private const ulong W = ReplayWindow.WindowSize;

    [Fact]
    public void The_window_covers_at_least_the_8128_counters_WireGuard_requires()
    {
        Assert.True(W >= 8128, $"window {W}");
    }

    [Fact]
    public void Each_counter_is_accepted_once_in_any_order_within_the_window()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(0));
        Assert.False(window.TryAccept(0));
        Assert.True(window.TryAccept(2));
        Assert.True(window.TryAccept(1));
        Assert.False(window.TryAccept(1));
        Assert.False(window.TryAccept(2));
        Assert.Equal(2UL, window.Greatest);
    }

    [Fact]
    public void A_counter_exactly_the_window_behind_the_greatest_is_refused_and_one_less_is_accepted()
    {
        var window = new ReplayWindow();
        ulong top = W + 1000;
        Assert.True(window.TryAccept(top));
        Assert.False(window.TryAccept(top - W));
        Assert.True(window.TryAccept(top - W + 1));
        Assert.False(window.TryAccept(top - W + 1));
        Assert.False(window.TryAccept(0));
    }

    [Fact]
    public void Counters_far_behind_after_a_jump_are_refused_even_if_never_seen()
    {
        var window = new ReplayWindow();
        for (ulong c = 0; c < 100; c++)
        {
            Assert.True(window.TryAccept(c));
        }

        Assert.True(window.TryAccept(1_000_000));
        Assert.False(window.TryAccept(100));
        Assert.False(window.TryAccept(50));
        Assert.True(window.TryAccept(1_000_000 - W + 1));
        Assert.True(window.TryAccept(999_999));
    }

    [Fact]
    public void A_jump_of_exactly_one_ring_forgets_the_old_bits_of_the_reused_block()
    {
        var window = new ReplayWindow();
        Assert.True(window.TryAccept(5));
        Assert.True(window.TryAccept(5 + 8192)); // same ring slot, next lap
        Assert.False(window.TryAccept(5));
        Assert.False(window.TryAccept(5 + 8192));
        Assert.True(window.TryAccept(6 + 8192));
    }

    [Fact]
    public void Counters_at_the_limits_are_refused()
    {
        var window = new ReplayWindow();
        Assert.False(window.TryAccept(ProtocolLimits.RejectAfterMessages));
        Assert.False(window.TryAccept(ProtocolLimits.RejectAfterMessages + 1));
        Assert.False(window.TryAccept(ulong.MaxValue));
        Assert.False(window.TryAccept(1UL << 63));
        Assert.True(window.TryAccept((1UL << 63) - 1));
        Assert.False(window.TryAccept((1UL << 63) - 1));
        Assert.True(window.TryAccept((1UL << 63) - 2));
        Assert.False(window.TryAccept(0));
    }

    [Fact]
    public void Zero_is_an_ordinary_counter()
    {
        var window = new ReplayWindow();
        Assert.Null(window.Greatest);
        Assert.True(window.TryAccept(0));
        Assert.Equal(0UL, window.Greatest);
        Assert.False(window.TryAccept(0));
    }

    [Fact]
    public void Agrees_with_a_set_based_reference_on_random_counter_sequences()
    {
        Prop.ForAll(
            Gen.Choose(0, 20_000).Select(i => (ulong)i).ArrayOf().ToArbitrary(),
            counters =>
            {
                var window = new ReplayWindow();
                var seen = new HashSet<ulong>();
                ulong? greatest = null;
                foreach (ulong c in counters)
                {
                    bool expected = !seen.Contains(c) && (greatest is null || greatest.Value < c || greatest.Value - c < W);
                    bool actual = window.TryAccept(c);
                    if (expected != actual)
                    {
                        return false;
                    }

                    if (actual)
                    {
                        seen.Add(c);
                        greatest = greatest is null ? c : Math.Max(greatest.Value, c);
                    }
                }

                return true;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Many_threads_accepting_overlapping_counters_accept_each_counter_exactly_once()
    {
        var window = new ReplayWindow();
        const int Threads = 4;
        const ulong Count = 200_000;
        long accepted = 0;
        var counts = new int[Count];
        Parallel.For(0, Threads, t =>
        {
            // Every thread walks the same counters, each in a slightly different order, like packets of one session
            // arriving on several sockets.
            for (ulong c = 0; c < Count; c++)
            {
                ulong counter = (c & ~3UL) | ((c + (ulong)t) & 3UL);
                if (window.TryAccept(counter))
                {
                    Interlocked.Increment(ref accepted);
                    Interlocked.Increment(ref counts[counter]);
                }
            }
        });

        Assert.All(counts, n => Assert.Equal(1, n));
        Assert.Equal((long)Count, accepted);
    }
}
