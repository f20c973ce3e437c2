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

    private sealed class ListLogger : ILogger
    {
        public List<(int Id, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((eventId.Id, formatter(state, exception)));
    }
}
