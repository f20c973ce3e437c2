using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Plugins;

namespace RouterHost.Configuration;

/// <summary>
/// Checks a whole configuration: the host's own keys, that every backend and stage it names exists, can be
/// used and runs on this platform, and each plugin's own settings (through its <c>Validate</c>). Every
/// problem names its key path. Touches no device, and constructs only the plugins the configuration names.
/// </summary>
internal static class ConfigurationValidator
{
    public static List<ConfigurationProblem> Validate(IConfiguration configuration, PluginCatalog catalog, out RouterOptions options)
    {
        var problems = new List<ConfigurationProblem>();
        options = RouterOptionsReader.Read(configuration, AppContext.BaseDirectory, problems);

        foreach (InterfaceOptions iface in options.Interfaces)
        {
            string keyPath = $"{iface.Path}:{ConfigurationKeys.Backend}";
            PluginDescriptor? plugin = ResolvePlugin(catalog, iface.Backend, PluginKind.Backend, keyPath, problems);
            if (plugin?.Backend is not { } backend)
            {
                continue;
            }

            if (plugin.UnsupportedReason is { } reason)
            {
                // Said first, and its settings are still checked: a configuration written for another machine
                // should arrive there with nothing else wrong.
                problems.Add(new(keyPath, $"the '{plugin.Name}' backend cannot run on this platform ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}): {reason}"));
            }

            RunPluginValidation(plugin, () => backend.Validate(configuration.GetSection($"{iface.Path}:{ConfigurationKeys.Settings}")), keyPath, problems);
        }

        foreach (StageOptions stage in options.Pipeline.Stages)
        {
            string keyPath = $"{stage.Path}:{ConfigurationKeys.Type}";
            PluginDescriptor? plugin = ResolvePlugin(catalog, stage.Type, PluginKind.Stage, keyPath, problems);
            if (plugin?.Stage is not { } factory)
            {
                continue;
            }

            RunPluginValidation(plugin, () => factory.Validate(configuration.GetSection($"{stage.Path}:{ConfigurationKeys.Settings}")), keyPath, problems);
        }

        CheckPins(configuration, catalog, problems);
        return problems;
    }

    /// <summary>A pin for a folder that is not there is a typo or a plugin gone missing: either way, say so.</summary>
    private static void CheckPins(IConfiguration configuration, PluginCatalog catalog, List<ConfigurationProblem> problems)
    {
        if (catalog.IsPluginsFolderRefused)
        {
            return; // the plugins folder itself was refused: no folder in it was looked at
        }

        foreach (IConfigurationSection pin in configuration.GetSection(ConfigurationKeys.PluginsSha256).GetChildren())
        {
            bool found = false;
            foreach (PluginFolderInfo folder in catalog.Folders)
            {
                found |= string.Equals(Path.GetFileName(folder.Folder), pin.Key, StringComparison.OrdinalIgnoreCase);
            }

            if (!found)
            {
                problems.Add(new(pin.Path, $"no plugin folder '{pin.Key}' in {catalog.PluginsPath} (folders: {FolderNames(catalog)}); remove the pin or install the plugin"));
            }
        }
    }

    private static string FolderNames(PluginCatalog catalog)
    {
        var names = new List<string>();
        foreach (PluginFolderInfo folder in catalog.Folders)
        {
            names.Add(Path.GetFileName(folder.Folder));
        }

        return names.Count == 0 ? "none" : string.Join(", ", names);
    }

    /// <summary>
    /// What is valid but worth knowing, for a configuration <see cref="Validate"/> accepted: each interface whose MTU
    /// (from a backend that can read it from settings, <see cref="IInterfaceLinkReader"/>) is larger than the inner MTU
    /// of a tunnel stage in the chain (<see cref="ITunnelMtuReader"/>), since its traffic can be routed into it.
    /// </summary>
    public static List<ConfigurationProblem> Warnings(IConfiguration configuration, PluginCatalog catalog, RouterOptions options)
    {
        var warnings = new List<ConfigurationProblem>();
        var tunnels = new List<(string Stage, int Mtu, string Path)>();
        foreach (StageOptions stage in options.Pipeline.Stages)
        {
            if (catalog.Find(stage.Type, PluginKind.Stage)?.Stage is ITunnelMtuReader reader
                && Quietly(() => reader.ReadTunnelMtu(configuration.GetSection($"{stage.Path}:{ConfigurationKeys.Settings}"))) is { } tunnel)
            {
                tunnels.Add((stage.Name, tunnel.Mtu, tunnel.Path));
            }
        }

        foreach (InterfaceOptions iface in options.Interfaces)
        {
            string settingsPath = $"{iface.Path}:{ConfigurationKeys.Settings}";
            if (catalog.Find(iface.Backend, PluginKind.Backend)?.Backend is not IInterfaceLinkReader reader
                || Quietly(() => reader.ReadLink(configuration.GetSection(settingsPath))) is not { Mtu: > 0 } link)
            {
                continue;
            }

            foreach ((string stage, int mtu, string path) in tunnels)
            {
                if (link.Mtu > mtu)
                {
                    warnings.Add(new($"{settingsPath}:Mtu",
                        $"interface '{iface.Name}' has MTU {link.Mtu}, larger than the inner MTU {mtu} of tunnel stage '{stage}' ({path}), which its traffic can be routed into: "
                        + $"packets over {mtu} bytes bound for the tunnel are answered with ICMP fragmentation-needed / packet-too-big, so path MTU discovery will be used "
                        + $"(IPv4 without DF is fragmented). Set the interface's Mtu to {mtu} to avoid that"));
                }
            }
        }

        return warnings;
    }

    private static T? Quietly<T>(Func<T?> read)
    {
        try
        {
            return read();
        }
        catch (Exception)
        {
            // Validate already reported whatever makes a plugin throw here.
            return default;
        }
    }

    private static PluginDescriptor? ResolvePlugin(PluginCatalog catalog, string name, PluginKind kind, string keyPath, List<ConfigurationProblem> problems)
    {
        string kindName = kind.ToString().ToLowerInvariant();
        PluginDescriptor? plugin = catalog.Find(name, kind);
        if (plugin is null)
        {
            string folders = catalog.RefusalFor(name) is { } refusal ? $"; {refusal}"
                : catalog.FolderErrors.Count == 0 ? string.Empty
                : $"; {catalog.FolderErrors.Count} plugin folder(s) failed to load, see 'routerhost plugins'";
            problems.Add(new(keyPath, $"no {kindName} plugin named '{name}' (known: {catalog.KnownNames(kind)}; searched {catalog.PluginsPath}){folders}"));
            return null;
        }

        if (!plugin.IsUsable)
        {
            problems.Add(new(keyPath, $"the {kindName} plugin '{plugin.Name}' from {plugin.Source} cannot be used: {plugin.Error}"));
            return null;
        }

        return plugin;
    }

    private static void RunPluginValidation(PluginDescriptor plugin, Func<IReadOnlyList<ConfigurationProblem>> validate, string keyPath, List<ConfigurationProblem> problems)
    {
        try
        {
            problems.AddRange(validate());
        }
        catch (Exception ex)
        {
            // A plugin's validation must not throw; if it does, say whose it was instead of crashing.
            problems.Add(new(keyPath, $"the plugin '{plugin.Name}' from {plugin.Source} failed while validating its settings: {ex.GetType().Name}: {ex.Message}"));
        }
    }
}
