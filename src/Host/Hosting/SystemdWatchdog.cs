using System.Globalization;
using Microsoft.Extensions.Logging;
using RouterHost.Pipeline;

namespace RouterHost.Hosting;

/// <summary>
/// systemd's service watchdog (<c>WatchdogSec=</c>): when systemd asks for it (<c>$WATCHDOG_USEC</c>, and
/// <c>$WATCHDOG_PID</c> naming this process or unset), sends <c>WATCHDOG=1</c> every half period, but only while every
/// queue worker is alive and none has been inside one batch for longer than half the period. A lane stuck in a stage
/// (or a worker thread that died) stops the pings, and systemd kills and restarts the service after the period. An idle
/// lane (waiting for packets) is healthy. Without <c>$WATCHDOG_USEC</c> nothing runs.
/// </summary>
internal sealed partial class SystemdWatchdog : IDisposable
{
    public const string UsecVariable = "WATCHDOG_USEC";
    public const string PidVariable = "WATCHDOG_PID";

    private readonly SystemdNotifier _notifier;
    private readonly PipelineRunner _runner;
    private readonly ILogger _logger;
    private readonly long _stallMilliseconds;
    private readonly Timer _timer;
    private string? _stalled;

    private SystemdWatchdog(SystemdNotifier notifier, PipelineRunner runner, TimeSpan period, ILogger logger)
    {
        _notifier = notifier;
        _runner = runner;
        _logger = logger;
        TimeSpan interval = Interval(period);
        _stallMilliseconds = Math.Max(1, (long)interval.TotalMilliseconds);
        _timer = new Timer(_ => Tick(), null, TimeSpan.Zero, interval);
    }

    /// <summary>How many <c>WATCHDOG=1</c> pings were sent.</summary>
    public long Pings { get; private set; }

    /// <summary>
    /// The watchdog period systemd asks for in <paramref name="usec"/> / <paramref name="pid"/> (the variables' values),
    /// or null when it asks for none (unset, 0, malformed, or meant for another process).
    /// </summary>
    public static TimeSpan? Period(string? usec, string? pid, int ownPid)
    {
        if (string.IsNullOrEmpty(usec)
            || !ulong.TryParse(usec, NumberStyles.None, CultureInfo.InvariantCulture, out ulong microseconds)
            || microseconds == 0 || microseconds > (ulong)TimeSpan.MaxValue.Ticks / 10)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(pid)
            && (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int target) || target != ownPid))
        {
            return null;
        }

        // Exact: TimeSpan.FromMicroseconds takes a double here and rounds periods above 2^53 µs.
        return TimeSpan.FromTicks((long)microseconds * TimeSpan.TicksPerMicrosecond);
    }

    /// <summary>The longest period a <see cref="Timer"/> accepts (0xFFFFFFFE ms, about 49.7 days).</summary>
    public static readonly TimeSpan LongestInterval = TimeSpan.FromMilliseconds(0xFFFFFFFE);

    /// <summary>
    /// How often to ping for a watchdog <paramref name="period"/>: half of it, but no longer than a timer can wait
    /// (a <c>WatchdogSec=</c> of months would otherwise fail the start; pinging more often than asked is harmless).
    /// </summary>
    public static TimeSpan Interval(TimeSpan period)
    {
        TimeSpan half = period / 2;
        return half < LongestInterval ? half : LongestInterval;
    }

    /// <summary>Starts the watchdog when systemd asked for one (and the notifier has a socket); null otherwise.</summary>
    public static SystemdWatchdog? TryStart(SystemdNotifier notifier, PipelineRunner runner, ILogger logger)
    {
        TimeSpan? period = Period(Environment.GetEnvironmentVariable(UsecVariable), Environment.GetEnvironmentVariable(PidVariable), Environment.ProcessId);
        if (period is null || !notifier.IsEnabled)
        {
            return null;
        }

        Log.Started(logger, period.Value.TotalSeconds);
        return new SystemdWatchdog(notifier, runner, period.Value, logger);
    }

    /// <summary>The first lane that is not making progress, as "interface/qN", or null when every lane is.</summary>
    public static string? FindStalled(IReadOnlyList<QueueWorker> workers, long now, long stallMilliseconds)
    {
        foreach (QueueWorker worker in workers)
        {
            if (!worker.IsRunning)
            {
                return $"{worker.InterfaceName}/q{worker.QueueIndex} (its thread ended)";
            }

            long since = worker.BusySince;
            if (since != 0 && now - since > stallMilliseconds)
            {
                return $"{worker.InterfaceName}/q{worker.QueueIndex} (inside one batch for {(now - since) / 1000.0:0.#} s)";
            }
        }

        return null;
    }

    private void Tick()
    {
        string? stalled = FindStalled(_runner.Workers, Environment.TickCount64, _stallMilliseconds);
        if (stalled is not null)
        {
            if (_stalled != stalled)
            {
                _stalled = stalled;
                Log.Stalled(_logger, stalled);
                _notifier.Notify("STATUS=Stalled: " + stalled);
            }

            return;
        }

        if (_stalled is not null)
        {
            _stalled = null;
            Log.Recovered(_logger);
            _notifier.Notify("STATUS=Routing");
        }

        if (_notifier.Notify("WATCHDOG=1") is { } error)
        {
            Log.PingFailed(_logger, error);
            return;
        }

        Pings++;
    }

    public void Dispose() => _timer.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "systemd watchdog: pinging every {Seconds} s / 2 while every lane makes progress")]
        public static partial void Started(ILogger logger, double seconds);

        [LoggerMessage(EventId = 41, Level = LogLevel.Error, Message = "systemd watchdog: lane {Lane} is not making progress; no more WATCHDOG=1 until it does (systemd restarts the service)")]
        public static partial void Stalled(ILogger logger, string lane);

        [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "systemd watchdog: every lane is making progress again; pinging again")]
        public static partial void Recovered(ILogger logger);

        [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "systemd watchdog: ping failed: {Error}")]
        public static partial void PingFailed(ILogger logger, string error);
    }
}
