using System.Globalization;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Firewall.Stage;
using RouterHost.WireGuard.Stage;
using RouterHost.Routing.Stage;

namespace RouterHost.Plugins;

/// <summary>
/// Discovers plugins where configuration says, holding folders to their pins (<c>Plugins:Sha256:&lt;Folder&gt;</c>).
/// The folders of plugin folders are searched in order: the configured ones (<c>Plugins:Path</c>, or the list
/// <c>Plugins:Paths</c>; relative to the executable's folder), then the operator's drop-in folder
/// <see cref="DropInFolder"/>, then the package's own <c>plugins</c> folder beside the executable.
/// </summary>
internal static class PluginDiscovery
{
    /// <summary>The operator's drop-in folder, searched after the configured ones (as /usr/local overrides /usr).</summary>
    public const string DropInFolder = "/usr/local/lib/routerhost/plugins";

    /// <summary>The package's plugins folder, relative to the executable's folder; searched last.</summary>
    public const string PackageFolderName = "plugins";

    /// <summary>The factories built into the host: the Routing, Firewall and WireGuard stages.</summary>
    public static IReadOnlyList<Type> BuiltInFactories { get; } = [typeof(RoutingStagePlugin), typeof(FirewallStagePlugin), typeof(WireGuardStagePlugin)];

    public static PluginCatalog Discover(IConfiguration configuration) =>
        PluginCatalog.Discover(SearchPaths(configuration, AppContext.BaseDirectory, null), BuiltInFactories, PluginPins.Read(configuration, null));

    /// <summary>
    /// The folders to search, in order: the configured ones, <paramref name="dropInFolder"/>, then
    /// <c>&lt;baseDirectory&gt;/plugins</c>; a folder listed twice is searched once, at its first place. Bad values are
    /// added to <paramref name="problems"/> (with their key paths) and left out.
    /// </summary>
    public static List<PluginSearchPath> SearchPaths(IConfiguration configuration, string baseDirectory, List<ConfigurationProblem>? problems, string dropInFolder = DropInFolder)
    {
        var paths = new List<PluginSearchPath>();
        IConfigurationSection single = configuration.GetSection(ConfigurationKeys.PluginsPath);
        IConfigurationSection list = configuration.GetSection(ConfigurationKeys.PluginsPaths);
        List<IConfigurationSection> entries = [.. list.GetChildren()];
        bool singleSet = single.Value is not null || single.GetChildren().Any();
        if (singleSet && (list.Value is not null || entries.Count > 0))
        {
            problems?.Add(new(single.Path,
                $"{ConfigurationKeys.PluginsPath} and {ConfigurationKeys.PluginsPaths} are both set: keep one ({ConfigurationKeys.PluginsPath} is {ConfigurationKeys.PluginsPaths} with a single folder)"));
        }

        if (singleSet)
        {
            Add(paths, single, baseDirectory, problems);
        }

        if (list.Value is { } scalar)
        {
            problems?.Add(new(list.Path,
                $"must be a list of folders, e.g. \"Paths\": [ \"/opt/routerhost/plugins\", \"/srv/plugins\" ] (got '{scalar}'); for one folder, {ConfigurationKeys.PluginsPath} takes a string"));
        }

        var indexed = new List<(long Index, IConfigurationSection Entry)>();
        foreach (IConfigurationSection entry in entries)
        {
            if (long.TryParse(entry.Key, NumberStyles.None, CultureInfo.InvariantCulture, out long index))
            {
                indexed.Add((index, entry));
            }
            else
            {
                problems?.Add(new(entry.Path, $"{ConfigurationKeys.PluginsPaths} must be a list (a JSON array), but it has the key '{entry.Key}'; write \"Paths\": [ \"/first/folder\", \"/second/folder\" ]"));
            }
        }

        indexed.Sort((a, b) => a.Index.CompareTo(b.Index));
        foreach ((_, IConfigurationSection entry) in indexed)
        {
            Add(paths, entry, baseDirectory, problems);
        }

        AddDefault(paths, new PluginSearchPath(Path.TrimEndingDirectorySeparator(dropInFolder), PluginPathOrigin.DropIn));
        AddDefault(paths, new PluginSearchPath(Path.TrimEndingDirectorySeparator(Path.GetFullPath(PackageFolderName, baseDirectory)), PluginPathOrigin.Package));
        return paths;
    }

    private static void Add(List<PluginSearchPath> paths, IConfigurationSection entry, string baseDirectory, List<ConfigurationProblem>? problems)
    {
        string? text = entry.Value;
        if (text is null)
        {
            problems?.Add(new(entry.Path, "must be a folder path (a string), not a section"));
            return;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            problems?.Add(new(entry.Path, $"must be a folder holding plugin folders (absolute, or relative to the executable's folder {baseDirectory}); it is empty. Leave it out to search only {DropInFolder} and the package's plugins folder"));
            return;
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            problems?.Add(new(entry.Path, "must be a folder path, but it contains a NUL character"));
            return;
        }

        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(text, baseDirectory));
        foreach (PluginSearchPath earlier in paths)
        {
            if (earlier.Path == full)
            {
                problems?.Add(new(entry.Path, $"names the folder '{full}' again (as {earlier.KeyPath} does): list each folder once"));
                return;
            }
        }

        paths.Add(new PluginSearchPath(full, PluginPathOrigin.Configured, entry.Path));
    }

    private static void AddDefault(List<PluginSearchPath> paths, PluginSearchPath folder)
    {
        foreach (PluginSearchPath earlier in paths)
        {
            if (earlier.Path == folder.Path)
            {
                return; // configured explicitly: searched at that earlier place
            }
        }

        paths.Add(folder);
    }
}
