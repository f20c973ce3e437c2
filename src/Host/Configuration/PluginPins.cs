using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Plugins;

namespace RouterHost.Configuration;

/// <summary>
/// <c>Plugins:Sha256:&lt;Folder&gt;</c>: the SHA-256 a plugin folder's files must hash to (<see cref="PluginFolderHash"/>)
/// for the folder to be loaded at all.
/// </summary>
internal static class PluginPins
{
    /// <summary>The pins by folder name (case-insensitive); malformed ones too (they refuse their folder), each reported.</summary>
    public static Dictionary<string, string> Read(IConfiguration configuration, List<ConfigurationProblem>? problems)
    {
        var pins = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        IConfigurationSection section = configuration.GetSection(ConfigurationKeys.PluginsSha256);
        if (section.Value is { Length: > 0 })
        {
            problems?.Add(new(section.Path, "must be a section of pins, one per plugin folder: \"Sha256\": { \"<Folder>\": \"<64 hex digits>\" }"));
        }

        foreach (IConfigurationSection pin in section.GetChildren())
        {
            string value = (pin.Value ?? string.Empty).Trim();
            if (!PluginFolderHash.IsHash(value))
            {
                problems?.Add(new(pin.Path, $"must be the SHA-256 of the plugin folder '{pin.Key}' in hex (64 digits, as 'routerhost plugins' prints it; got '{pin.Value}')"));
            }

            pins[pin.Key] = value;
        }

        return pins;
    }
}
