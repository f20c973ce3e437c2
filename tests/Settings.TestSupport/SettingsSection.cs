using Microsoft.Extensions.Configuration;

namespace RouterHost.Settings.TestSupport;

/// <summary>Configuration sections built from key/value pairs, as a plugin's <c>Parse</c> receives them.</summary>
public static class SettingsSection
{
    /// <summary>
    /// The section at <paramref name="root"/> (such as <c>Interfaces:tun0:Settings</c>) holding <paramref name="values"/>,
    /// whose keys are relative to it (<c>Addresses:0</c>, <c>Offloads:Gro</c>).
    /// </summary>
    public static IConfigurationSection Under(string root, IReadOnlyDictionary<string, string?> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var data = new Dictionary<string, string?>();
        foreach ((string key, string? value) in values)
        {
            data[$"{root}:{key}"] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection(root);
    }
}
