using FsCheck;
using FsCheck.Fluent;

namespace RouterHost.Underlay.Tests;

/// <summary>The CoDel control law, driven by a synthetic clock (nanoseconds), never the wall clock.</summary>
public sealed class CoDelTests
{
    private const long Target = 1_000_000;
    private const long Interval = 20_000_000;

    [Fact]
    public void A_sojourn_below_target_is_never_signalled()
    {
        var codel = new CoDel(Target, Interval);
        for (long now = 0; now < 10 * Interval; now += 10_000)
        {
            Assert.False(codel.Signal(Target - 1, now));
        }

        Assert.Equal(0, codel.Signals);
    }

    [Fact]
    public void A_sojourn_above_target_is_signalled_only_after_a_whole_interval()
    {
        var codel = new CoDel(Target, Interval);
        Assert.False(codel.Signal(5 * Target, 0));
        Assert.False(codel.Signal(5 * Target, Interval - 1));
        Assert.True(codel.Signal(5 * Target, Interval));
        Assert.True(codel.Dropping);
    }

    [Fact]
    public void A_dip_below_target_restarts_the_interval_and_ends_the_dropping_state()
    {
        var codel = new CoDel(Target, Interval);
        Assert.False(codel.Signal(5 * Target, 0));
        Assert.False(codel.Signal(0, Interval / 2));
        Assert.False(codel.Signal(5 * Target, Interval));
        Assert.False(codel.Signal(5 * Target, (2 * Interval) - 1));
        Assert.True(codel.Signal(5 * Target, 2 * Interval));
        Assert.False(codel.Signal(Target / 2, (2 * Interval) + 1));
        Assert.False(codel.Dropping);
    }

    [Fact]
    public void A_standing_queue_is_signalled_ever_more_often_as_interval_over_the_root_of_the_count()
    {
        var codel = new CoDel(Target, Interval);
        var signals = new List<long>();
        for (long now = 0; now <= 40 * Interval; now += 100_000)
        {
            if (codel.Signal(10 * Target, now))
            {
                signals.Add(now);
            }
        }

        Assert.True(signals.Count > 10);
        long[] gaps = signals.Zip(signals.Skip(1), (a, b) => b - a).ToArray();
        for (int i = 1; i < gaps.Length; i++)
        {
            Assert.True(gaps[i] <= gaps[i - 1] + 100_000, $"gap {i} ({gaps[i]} ns) grew past gap {i - 1} ({gaps[i - 1]} ns)");
        }

        Assert.InRange(gaps[0], Interval, Interval + 100_000);
        Assert.InRange(gaps[1], (long)(Interval / Math.Sqrt(2)), (long)(Interval / Math.Sqrt(2)) + 100_000);
    }

    [Fact]
    public void Any_sequence_signals_only_packets_whose_sojourn_was_above_target_for_an_interval_back()
    {
        // Property: a signalled packet is above target, and every packet in the interval before it was above target too.
        Gen<(long Sojourn, long Step)[]> steps = Gen.ArrayOf(
            from high in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
            from sojourn in high ? Gen.Choose((int)Target, (int)(20 * Target)) : Gen.Choose(0, (int)Target - 1)
            from step in Gen.Choose(1, (int)(Interval / 4))
            select ((long)sojourn, (long)step));
        Prop.ForAll(steps.ToArbitrary(), sequence =>
        {
            var codel = new CoDel(Target, Interval);
            long now = 0;
            long lastBelow = -1;
            foreach ((long sojourn, long step) in sequence)
            {
                now += step;
                bool signalled = codel.Signal(sojourn, now);
                if (sojourn < Target)
                {
                    lastBelow = now;
                    if (signalled)
                    {
                        return false;
                    }
                }
                else if (signalled && lastBelow >= 0 && now - lastBelow < Interval)
                {
                    return false;
                }
            }

            return true;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    [Fact]
    public void A_target_or_interval_below_one_nanosecond_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoDel(0, Interval));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CoDel(Target, 0));
    }
}
