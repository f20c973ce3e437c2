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

    [Fact]
    public void Any_WATCHDOG_USEC_text_gives_a_positive_period_or_none() =>
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), ArbMap.Default.ArbFor<string>(), (usec, pid) =>
        {
            TimeSpan? period = SystemdWatchdog.Period(usec, pid, ownPid: 4242);
            return period is null || period.Value > TimeSpan.Zero;
        }).QuickCheckThrowOnFailure();
}
