using Microsoft.Extensions.Configuration;
using RouterHost.Settings;

namespace RouterHostStage1;

/// <summary>The stage's settings, read once on the control plane.</summary>
/// <param name="MaxLength">Packets longer than this many bytes are dropped (<c>MaxLength</c>, 20..65535, default 65535).</param>
internal sealed record StageSettings(int MaxLength)
{
    /// <summary>
    /// Reads <paramref name="section"/> through <paramref name="reader"/>, which records every problem with its key path
    /// and returns the default in place of a bad value, so one pass reports them all.
    /// </summary>
    public static StageSettings Read(IConfigurationSection section, SettingsReader reader)
    {
        reader.CheckKeys(section, "MaxLength");
        return new StageSettings((int)reader.Integer(section, "MaxLength", 65535, 20, 65535));
    }
}
