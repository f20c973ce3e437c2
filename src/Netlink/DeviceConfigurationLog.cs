using Microsoft.Extensions.Logging;

namespace RouterHost.Netlink;

/// <summary>
/// Logs what a <see cref="DeviceConfiguration"/> did on a device, in the same words for every backend that configures
/// its device with one (LinuxTun, AfXdp), through the backend's own logger.
/// </summary>
public static partial class DeviceConfigurationLog
{
    /// <summary>Logs each of <paramref name="changes"/> made on <paramref name="device"/>.</summary>
    public static void Changes(ILogger logger, IReadOnlyList<ConfigurationChange> changes, string device)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(changes);
        foreach (ConfigurationChange change in changes)
        {
            Action<ILogger, string, string> log = change.Kind switch
            {
                ConfigurationChangeKind.Added => Added,
                ConfigurationChangeKind.Adopted => Adopted,
                ConfigurationChangeKind.LeftAlone => LeftAlone,
                ConfigurationChangeKind.LeftoverRemoved => LeftoverRemoved,
                ConfigurationChangeKind.SecondariesPromoted => SecondariesPromoted,
                _ => Removed,
            };
            log(logger, change.What, device);
        }
    }

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
