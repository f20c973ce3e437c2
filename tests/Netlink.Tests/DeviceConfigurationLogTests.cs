using Microsoft.Extensions.Logging;

namespace RouterHost.Netlink.Tests;

public sealed class DeviceConfigurationLogTests
{
    [Fact]
    public void Each_kind_of_change_is_logged_in_its_own_words_with_its_own_event_id()
    {
        var logger = new ListLogger();
        ConfigurationChangeKind[] kinds = Enum.GetValues<ConfigurationChangeKind>();

        DeviceConfigurationLog.Changes(logger, [.. kinds.Select(kind => new ConfigurationChange(kind, "address 10.0.0.1/24"))], "tun0");

        Assert.Equal(kinds.Length, logger.Lines.Count);
        Assert.Equal(kinds.Length, logger.Lines.Select(l => l.Id).Distinct().Count());
        Assert.All(logger.Lines, l => Assert.Contains("address 10.0.0.1/24", l.Message, StringComparison.Ordinal));
        Assert.All(logger.Lines, l => Assert.Contains("tun0", l.Message, StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.Message == "The address 10.0.0.1/24 on tun0 was left by an earlier RouterHost run; adopting it (removed at exit)");
        Assert.Contains(logger.Lines, l => l.Message == "Added the address 10.0.0.1/24 on tun0");
    }

    [Fact]
    public void Thousands_of_routes_are_summed_up_in_one_line_after_the_first_few()
    {
        var logger = new ListLogger { MinimumLevel = LogLevel.Information };
        var changes = new List<ConfigurationChange> { new(ConfigurationChangeKind.Added, "address 10.88.0.1/24") };
        changes.AddRange(Enumerable.Range(0, 10_000).Select(i => new ConfigurationChange(ConfigurationChangeKind.Added, $"route 10.64.{i >> 8}.{i & 255}/32")));
        changes.Add(new(ConfigurationChangeKind.LeftAlone, "route 192.0.2.0/24"));

        DeviceConfigurationLog.Changes(logger, changes, "rhwg0");

        Assert.Equal(
            [
                "Added the address 10.88.0.1/24 on rhwg0",
                "Added the route 10.64.0.0/32 on rhwg0",
                "Added the route 10.64.0.1/32 on rhwg0",
                "... and 9998 more added on rhwg0 (10001 in all; each is logged at Debug level)",
                "The route 192.0.2.0/24 on rhwg0 is not RouterHost's (someone else added it); keeping it and leaving it in place at exit",
            ],
            logger.Lines.Select(l => l.Message));
    }

    [Fact]
    public void At_debug_level_every_change_is_still_logged_once()
    {
        var logger = new ListLogger();
        ConfigurationChange[] changes = [.. Enumerable.Range(0, DeviceConfigurationLog.DetailedUpTo + 1).Select(i => new ConfigurationChange(ConfigurationChangeKind.Removed, $"route 10.0.0.{i}/32"))];

        DeviceConfigurationLog.Changes(logger, changes, "tun0");

        Assert.All(changes, c => Assert.Single(logger.Lines, l => l.Message.EndsWith($"the {c.What}", StringComparison.Ordinal) || l.Message.StartsWith($"Removed the {c.What} ", StringComparison.Ordinal)));
        Assert.Single(logger.Lines, l => l.Message == $"... and {changes.Length - DeviceConfigurationLog.FirstOfMany} more removed on tun0 ({changes.Length} in all; each is logged at Debug level)");
    }

    [Fact]
    public void A_few_changes_of_a_kind_are_each_logged_as_before()
    {
        var logger = new ListLogger { MinimumLevel = LogLevel.Information };
        ConfigurationChange[] changes = [.. Enumerable.Range(0, DeviceConfigurationLog.DetailedUpTo).Select(i => new ConfigurationChange(ConfigurationChangeKind.Added, $"route 10.0.0.{i}/32"))];

        DeviceConfigurationLog.Changes(logger, changes, "tun0");

        Assert.Equal(changes.Select(c => $"Added the {c.What} on tun0"), logger.Lines.Select(l => l.Message));
    }

    private sealed class ListLogger : ILogger
    {
        public List<(int Id, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public LogLevel MinimumLevel { get; init; } = LogLevel.Trace;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Lines.Add((eventId.Id, formatter(state, exception)));
            }
        }
    }
}
