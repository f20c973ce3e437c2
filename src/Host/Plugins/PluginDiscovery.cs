using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;
using RouterHost.Firewall.Stage;
using RouterHost.WireGuard.Stage;
using RouterHost.Routing.Stage;

namespace RouterHost.Plugins;

/// <summary>
/// Discovers plugins where configuration says (<c>Plugins:Path</c>, relative to the executable), holding folders to
/// their pins (<c>Plugins:Sha256:&lt;Folder&gt;</c>).
/// </summary>
internal static class PluginDiscovery
{
    /// <summary>The factories built into the host: the Routing, Firewall and WireGuard stages.</summary>
    public static IReadOnlyList<Type> BuiltInFactories { get; } = [typeof(RoutingStagePlugin), typeof(FirewallStagePlugin), typeof(WireGuardStagePlugin)];

    public static string ResolvePluginsPath(IConfiguration configuration)
    {
        string path = configuration[ConfigurationKeys.PluginsPath] is { Length: > 0 } p ? p : "plugins";
        return Path.GetFullPath(path, AppContext.BaseDirectory);
    }

    public static PluginCatalog Discover(IConfiguration configuration) =>
        PluginCatalog.Discover(ResolvePluginsPath(configuration), BuiltInFactories, PluginPins.Read(configuration, null));
}
