using FsCheck;
using FsCheck.Fluent;
using RouterHost.Hosting;

namespace RouterHost.Tests.Hosting;

public sealed class SystemdWatchdogTests
{
    [Theory]
    [InlineData("10000000", null, 10.0)]
    [InlineData("500000", "", 0.5)]
    [InlineData("2000000", "4242", 2.0)]
    public void WATCHDOG_USEC_gives_the_period(string usec, string? pid, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SystemdWatchdog.Period(usec, pid, ownPid: 4242));

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("ten", null)]
    [InlineData("99999999999999999999999", null)]
    [InlineData("1000000", "1")]
    [InlineData("1000000", "self")]
    public void No_period_when_systemd_asks_for_none_or_for_another_process(string? usec, string? pid) =>
        Assert.Null(SystemdWatchdog.Period(usec, pid, ownPid: 4242));

    [Theory]
    [InlineData("9007199254740993")] // 2^53 + 1: a double cannot hold it
    [InlineData("922337203685477580")] // the largest a TimeSpan holds
    public void A_long_period_is_the_exact_microseconds_systemd_gave(string usec) =>
        Assert.Equal(long.Parse(usec, System.Globalization.CultureInfo.InvariantCulture) * 10, SystemdWatchdog.Period(usec, null, ownPid: 4242)!.Value.Ticks);

    [Theory]
    [InlineData("1000000", 500.0)]
    [InlineData("9007199254740993", 4294967294.0)]
    [InlineData("922337203685477580", 4294967294.0)]
    public void The_ping_interval_is_half_the_period_and_no_longer_than_a_timer_waits(string usec, double milliseconds)
    {
        TimeSpan interval = SystemdWatchdog.Interval(SystemdWatchdog.Period(usec, null, ownPid: 4242)!.Value);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), interval);
        using var timer = new Timer(_ => { }, null, Timeout.InfiniteTimeSpan, interval); // would throw past the limit
    }

    [Fact]
    public void Any_WATCHDOG_USEC_number_gives_exactly_its_period() =>
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), microseconds =>
        {
            string usec = microseconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            TimeSpan? period = SystemdWatchdog.Period(usec, null, ownPid: 4242);
            bool fits = microseconds != 0 && microseconds <= (ulong)TimeSpan.MaxValue.Ticks / 10;
            return fits ? period is { } p && (ulong)(p.Ticks / 10) == microseconds && SystemdWatchdog.Interval(p) <= SystemdWatchdog.LongestInterval : period is null;
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void Any_WATCHDOG_USEC_text_gives_a_positive_period_or_none() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), ArbMap.Default.ArbFor<string>(), (usec, pid) =>
        {
            TimeSpan? period = SystemdWatchdog.Period(usec, pid, ownPid: 4242);
            return period is null || period.Value > TimeSpan.Zero;
        }).QuickCheckThrowOnFailure();
}
