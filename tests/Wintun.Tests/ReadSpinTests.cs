using RouterHost.Plugins.Wintun.Internal;

namespace RouterHost.Plugins.Wintun.Tests;

/// <summary>The adaptive spin decision, on timestamps the test chooses (1 tick = 1 ns).</summary>
public sealed class ReadSpinTests
{
    private const long Second = 1_000_000_000;

    private static ReadSpin Spin(long aboveBitsPerSecond = 800_000_000) => new(TimeSpan.FromMicroseconds(12), aboveBitsPerSecond, Second);

    [Fact]
    public void Before_any_rate_is_measured_the_reader_does_not_spin()
    {
        ReadSpin spin = Spin();
        Assert.False(spin.ShouldSpin(Second));
        spin.Add(1_000_000, Second);
        Assert.False(spin.ShouldSpin(Second));
    }

    [Fact]
    public void A_half_second_window_at_or_above_the_threshold_turns_spinning_on()
    {
        ReadSpin spin = Spin();
        spin.Add(0, 0);
        spin.Add(50_000_000, Second / 2);
        Assert.Equal(800_000_000, spin.RateBitsPerSecond);
        Assert.True(spin.ShouldSpin(Second / 2));
    }

    [Fact]
    public void A_window_below_the_threshold_keeps_the_reader_sleeping()
    {
        ReadSpin spin = Spin();
        spin.Add(0, 0);
        spin.Add(49_000_000, Second / 2);
        Assert.False(spin.ShouldSpin(Second / 2));
    }

    [Fact]
    public void Traffic_counted_within_a_window_adds_up()
    {
        ReadSpin spin = Spin();
        spin.Add(0, 0);
        for (int i = 1; i <= 10; i++)
        {
            spin.Add(5_000_000, i * (Second / 20));
        }

        Assert.Equal(800_000_000, spin.RateBitsPerSecond);
        Assert.True(spin.ShouldSpin(Second / 2));
    }

    [Fact]
    public void A_measurement_older_than_two_windows_no_longer_counts()
    {
        ReadSpin spin = Spin();
        spin.Add(0, 0);
        spin.Add(100_000_000, Second / 2);
        Assert.True(spin.ShouldSpin(Second / 2 + Second));
        Assert.False(spin.ShouldSpin(Second / 2 + Second + 1));
    }

    [Fact]
    public void After_an_idle_gap_the_first_window_measures_a_low_rate()
    {
        ReadSpin spin = Spin();
        spin.Add(0, 0);
        spin.Add(100_000_000, Second / 2);
        spin.Add(1_000_000, 60 * Second);
        Assert.False(spin.ShouldSpin(60 * Second));
    }

    [Fact]
    public void A_spin_lasts_its_duration_and_zero_duration_never_spins()
    {
        ReadSpin spin = Spin();
        Assert.True(spin.KeepSpinning(1000, 1000 + 11_999));
        Assert.False(spin.KeepSpinning(1000, 1000 + 12_000));

        var never = new ReadSpin(TimeSpan.Zero, 0, Second);
        never.Add(0, 0);
        never.Add(100_000_000, Second / 2);
        Assert.False(never.ShouldSpin(Second / 2));
    }
}
