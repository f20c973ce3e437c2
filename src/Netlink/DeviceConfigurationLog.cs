using Microsoft.Extensions.Logging;

namespace RouterHost.Netlink;

/// <summary>
/// Logs what a <see cref="DeviceConfiguration"/> did on a device, in the same words for every backend that configures
/// its device with one (LinuxTun, AfXdp), through the backend's own logger.
/// </summary>
public static partial class DeviceConfigurationLog
{
    /// <summary>A kind of change with at most this many entries is logged one line each.</summary>
    internal const int DetailedUpTo = 8;

    /// <summary>Of a kind with more entries, this many are logged one line each, the rest in one summary line.</summary>
    internal const int FirstOfMany = 3;

    /// <summary>
    /// Logs <paramref name="changes"/> made on <paramref name="device"/>: each one, unless a kind of change has more than
    /// <see cref="DetailedUpTo"/> entries (a hub's thousands of peer routes): then its first <see cref="FirstOfMany"/>
    /// and one line with how many more, the others at Debug level. A change that failed is never one of these: the
    /// caller reports it on its own, with its error.
    /// </summary>
    public static void Changes(ILogger logger, IReadOnlyList<ConfigurationChange> changes, string device)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(changes);
        Span<int> total = stackalloc int[KindCount];
        foreach (ConfigurationChange change in changes)
        {
            total[Slot(change.Kind)]++;
        }

        Span<int> seen = stackalloc int[KindCount];
        foreach (ConfigurationChange change in changes)
        {
            int slot = Slot(change.Kind);
            int index = seen[slot]++;
            bool detailed = total[slot] <= DetailedUpTo || index < FirstOfMany;
            if (detailed)
            {
                Log(logger, change.Kind, change.What, device);
                continue;
            }

            if (index == FirstOfMany)
            {
                More(logger, total[slot] - FirstOfMany, Words(change.Kind), device, total[slot]);
            }

            if (logger.IsEnabled(LogLevel.Debug))
            {
                Each(logger, Words(change.Kind), change.What, device);
            }
        }
    }

    private const int KindCount = (int)ConfigurationChangeKind.Removed + 1;

    private static int Slot(ConfigurationChangeKind kind) => (uint)kind < KindCount - 1 ? (int)kind : KindCount - 1;

    private static void Log(ILogger logger, ConfigurationChangeKind kind, string what, string device)
    {
        Action<ILogger, string, string> log = kind switch
        {
            ConfigurationChangeKind.Added => Added,
            ConfigurationChangeKind.Adopted => Adopted,
            ConfigurationChangeKind.LeftAlone => LeftAlone,
            ConfigurationChangeKind.LeftoverRemoved => LeftoverRemoved,
            ConfigurationChangeKind.SecondariesPromoted => SecondariesPromoted,
            _ => Removed,
        };
        log(logger, what, device);
    }

    private static string Words(ConfigurationChangeKind kind) => kind switch
    {
        ConfigurationChangeKind.Added => "added",
        ConfigurationChangeKind.Adopted => "adopted from an earlier RouterHost run",
        ConfigurationChangeKind.LeftAlone => "not RouterHost's, left in place",
        ConfigurationChangeKind.LeftoverRemoved => "left by an earlier RouterHost run, removed",
        ConfigurationChangeKind.SecondariesPromoted => "sharing a subnet with RouterHost's",
        _ => "removed",
    };

    [LoggerMessage(EventId = 906, Level = LogLevel.Information, Message = "... and {More} more {Kind} on {Device} ({Total} in all; each is logged at Debug level)")]
    private static partial void More(ILogger logger, int more, string kind, string device, int total);

    [LoggerMessage(EventId = 907, Level = LogLevel.Debug, Message = "{Kind} on {Device}: the {What}")]
    private static partial void Each(ILogger logger, string kind, string what, string device);

    [LoggerMessage(EventId = 900, Level = LogLevel.Information, Message = "Added the {What} on {Device}")]
    private static partial void Added(ILogger logger, string what, string device);

    [LoggerMessage(EventId = 901, Level = LogLevel.Information, Message = "The {What} on {Device} was left by an earlier RouterHost run; adopting it (removed at exit)")]
    private static partial void Adopted(ILogger logger, string what, string device);

    [LoggerMessage(EventId = 902, Level = LogLevel.Information, Message = "The {What} on {Device} is not RouterHost's (someone else added it); keeping it and leaving it in place at exit")]
    private static partial void LeftAlone(ILogger logger, string what, string device);

    [LoggerMessage(EventId = 903, Level = LogLevel.Information, Message = "Removed the {What} an earlier RouterHost run left on {Device}; the configuration no longer asks for it")]
    private static partial void LeftoverRemoved(ILogger logger, string what, string device);

    [LoggerMessage(EventId = 904, Level = LogLevel.Information, Message = "The {What} on {Device} is not RouterHost's and shares a subnet with one of its addresses: turned promote_secondaries on for {Device}, so removing RouterHost's keeps it")]
    private static partial void SecondariesPromoted(ILogger logger, string what, string device);

    [LoggerMessage(EventId = 905, Level = LogLevel.Information, Message = "Removed the {What} from {Device}; no peer needs it any more")]
    private static partial void Removed(ILogger logger, string what, string device);
}
