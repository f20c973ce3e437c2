using Microsoft.Extensions.Configuration;
using RouterHost.Settings;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The WireGuard stage's <c>Aqm</c> block: CoDel on the receive path (<see cref="ReceiveAqm"/>).
/// <code>
/// "Aqm": { "Enabled": true, "Target": "1ms", "Interval": "20ms" }
/// </code>
/// </summary>
/// <param name="Enabled">Whether received packets that waited too long are dropped or marked at all.</param>
/// <param name="Target">The sojourn in the sockets' receive buffers a sender may keep standing.</param>
/// <param name="Interval">How long the sojourn must stay above target before the first drop or mark.</param>
internal sealed record ReceiveAqmSettings(bool Enabled, TimeSpan Target, TimeSpan Interval)
{
    /// <summary>The defaults: on, 1 ms target, 20 ms interval.</summary>
    public static readonly ReceiveAqmSettings Default = new(true, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(20));

    private static readonly string[] s_keys = ["Enabled", "Target", "Interval"];

    /// <summary>Reads the block at <paramref name="section"/> (absent: the defaults), adding problems with their key paths.</summary>
    public static ReceiveAqmSettings Parse(IConfigurationSection section, SettingsReader reader)
    {
        reader.CheckKeys(section, s_keys);
        bool enabled = reader.Boolean(section, "Enabled", Default.Enabled);
        TimeSpan target = reader.Duration(section, "Target", Default.Target, TimeSpan.FromMicroseconds(100), TimeSpan.FromSeconds(1));
        TimeSpan interval = reader.Duration(section, "Interval", Default.Interval, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(10));
        if (interval < target)
        {
            reader.Problem($"{section.Path}:Interval", $"must be at least the target ({target.TotalMilliseconds} ms): CoDel waits one interval above target before it acts (got {interval.TotalMilliseconds} ms)");
        }

        return new ReceiveAqmSettings(enabled, target, interval);
    }
}
