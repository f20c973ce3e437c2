using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Abstractions.Tunnels;
using RouterHost.Pipeline;
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
        if (KernelRouteChoice(configuration, catalog, options).Error is { } kernelError)
        {
            int colon = kernelError.IndexOf(": ", StringComparison.Ordinal);
            problems.Add(new(kernelError[..colon], kernelError[(colon + 2)..]));
        }

        return problems;
    }

    /// <summary>
    /// Which interface keeps the peers' kernel routes, judged from settings: candidates are the interfaces whose backend
    /// reads a link the host's stack owns (<see cref="InterfaceAddressOwner.HostStack"/>: a TUN).
    /// </summary>
    private static KernelRouteChoice KernelRouteChoice(IConfiguration configuration, PluginCatalog catalog, RouterOptions options)
    {
        var candidates = new List<(string Name, bool? Setting, bool Capable)>();
        foreach (InterfaceOptions iface in options.Interfaces)
        {
            bool capable = catalog.Find(iface.Backend, PluginKind.Backend)?.Backend is IInterfaceLinkReader reader
                && Quietly(() => reader.ReadLink(configuration.GetSection($"{iface.Path}:{ConfigurationKeys.Settings}"))) is { Owner: InterfaceAddressOwner.HostStack }
                && OperatingSystem.IsLinux();
            candidates.Add((iface.Name, iface.KernelRoutes, capable));
        }

        return KernelRoutes.Choose(candidates);
    }

    /// <summary>
    /// What the router will do by itself that an operator should know, for a configuration <see cref="Validate"/>
    /// accepted: which interface keeps the peers' AllowedIPs as kernel routes, and a full tunnel's policy routing.
    /// </summary>
    public static List<ConfigurationProblem> Notes(IConfiguration configuration, PluginCatalog catalog, RouterOptions options)
    {
        var notes = new List<ConfigurationProblem>();
        List<TunnelPeer> peers = ReadPeers(configuration, catalog, options);
        KernelRouteChoice choice = KernelRouteChoice(configuration, catalog, options);
        if (choice.Interface is { } chosen && peers.Any(p => p.AllowedPrefixes.Count > 0))
        {
            InterfaceOptions iface = options.Interfaces.First(i => i.Name == chosen);
            string prefixes = Listed(peers.SelectMany(p => p.AllowedPrefixes).Distinct().Select(p => p.ToString()).ToList(), "prefixes");
            string why = iface.KernelRoutes == true ? "as its KernelRoutes says" : "the only interface through which the host's own stack reaches the router";
            notes.Add(new($"{iface.Path}:{ConfigurationKeys.KernelRoutes}",
                $"the peers' AllowedIPs ({prefixes}) become kernel routes on interface '{chosen}' ({why}); set \"{ConfigurationKeys.KernelRoutes}\": false on it to leave the host's routes alone"));
            if (peers.Any(p => p.AllowedPrefixes.Any(a => a.PrefixLength == 0)))
            {
                notes.Add(new($"{iface.Path}:{ConfigurationKeys.KernelRoutes}",
                    "a peer allows a default route (full tunnel): it goes into a routing table of its own, numbered as the tunnel's FwMark (default: its ListenPort), "
                    + "with the rules `not fwmark M table M` and `table main suppress_prefixlength 0` (as wg-quick), so the tunnel's own UDP still leaves by the main table; needs CAP_NET_ADMIN"));
            }
        }

        return notes;
    }

    private static List<TunnelPeer> ReadPeers(IConfiguration configuration, PluginCatalog catalog, RouterOptions options)
    {
        var peers = new List<TunnelPeer>();
        foreach (StageOptions stage in options.Pipeline.Stages)
        {
            if (catalog.Find(stage.Type, PluginKind.Stage)?.Stage is ITunnelPeerReader reader
                && Quietly(() => reader.ReadPeers(configuration.GetSection($"{stage.Path}:{ConfigurationKeys.Settings}"))) is { } read)
            {
                peers.AddRange(read);
            }
        }

        return peers;
    }

    /// <summary>
    /// Interfaces and peers no route reaches, when the chain has a Routing stage: an interface without addresses
    /// (connected routes) and without a configured route to it; a peer without allowed prefixes (peer routes) and without
    /// a configured route to it; and, when an interface could keep kernel routes but none does, each peer whose prefixes
    /// the host's own stack has no kernel route into the router for.
    /// </summary>
    private static void ReachWarnings(IConfiguration configuration, PluginCatalog catalog, RouterOptions options, List<ConfigurationProblem> warnings)
    {
        StageOptions? routing = options.Pipeline.Stages.FirstOrDefault(s => string.Equals(s.Type, "Routing", StringComparison.OrdinalIgnoreCase));
        if (routing is null)
        {
            return;
        }

        string routingPath = $"{routing.Path}:{ConfigurationKeys.Settings}";
        RouterHost.Routing.Stage.RoutingSettings settings = RouterHost.Routing.Stage.RoutingSettings.Parse(configuration.GetSection(routingPath), []);
        foreach (InterfaceOptions iface in options.Interfaces)
        {
            string settingsPath = $"{iface.Path}:{ConfigurationKeys.Settings}";
            if (catalog.Find(iface.Backend, PluginKind.Backend)?.Backend is not IInterfaceLinkReader reader
                || Quietly(() => reader.ReadLink(configuration.GetSection(settingsPath))) is not { } link)
            {
                continue;
            }

            bool connected = settings.ConnectedRoutes && link.Addresses.Any(a => !IsLinkLocal(a));
            if (!connected && !settings.Routes.Any(r => !r.IsPeer && string.Equals(r.PortName, iface.Name, StringComparison.OrdinalIgnoreCase)))
            {
                string cause = link.Addresses.Count == 0 ? "it has no Addresses (which would be connected routes)" : $"{routingPath}:ConnectedRoutes is false";
                warnings.Add(new(iface.Path,
                    $"no route leads to interface '{iface.Name}': {cause} and no route in {routingPath}:Routes names it, so nothing is ever forwarded to it. "
                    + $"Give it an address ({settingsPath}:Addresses) or add a route {{ \"Destination\": \"<prefix>\", \"Interface\": \"{iface.Name}\" }} to {routingPath}:Routes"));
            }
        }

        List<TunnelPeer> peers = ReadPeers(configuration, catalog, options);
        foreach (TunnelPeer peer in peers)
        {
            bool peerRoutes = settings.PeerRoutes && peer.AllowedPrefixes.Count > 0;
            if (!peerRoutes && !settings.Routes.Any(r => r.IsPeer && string.Equals(r.PortName, peer.Name, StringComparison.OrdinalIgnoreCase)))
            {
                string cause = peer.AllowedPrefixes.Count == 0 ? "it has no AllowedIPs" : $"{routingPath}:PeerRoutes is false";
                warnings.Add(new(peer.Path,
                    $"no route leads to peer '{peer.Name}': {cause} and no route in {routingPath}:Routes names it, so nothing is ever sent to it. "
                    + $"List the prefixes behind it in {peer.Path}:AllowedIPs or add a route {{ \"Destination\": \"<prefix>\", \"Peer\": \"{peer.Name}\" }} to {routingPath}:Routes"));
            }
        }

        KernelRouteChoice choice = KernelRouteChoice(configuration, catalog, options);
        if (choice.Interface is null && peers.Any(p => p.AllowedPrefixes.Count > 0))
        {
            if (choice.Ambiguous is { } ambiguous)
            {
                warnings.Add(new(ConfigurationKeys.Interfaces, $"{ambiguous}; until then the host's own stack has no route into the router for the peers' AllowedIPs"));
            }
            else if (options.Interfaces.FirstOrDefault(i => i.KernelRoutes == false) is { } off)
            {
                const string Fix = "(ip route add PREFIX dev DEVICE); set KernelRoutes to true on the TUN interface to have RouterHost add them";
                List<TunnelPeer> routed = peers.Where(p => p.AllowedPrefixes.Count > 0).ToList();
                if (routed.Count <= ListedAtMost)
                {
                    foreach (TunnelPeer peer in routed)
                    {
                        warnings.Add(new($"{peer.Path}:AllowedIPs",
                            $"no kernel route points {Listed(peer.AllowedPrefixes.Select(p => p.ToString()).ToList(), "prefixes")} into the router (KernelRoutes is false), so the host's own stack reaches peer '{peer.Name}' only through routes you add yourself "
                            + Fix));
                    }
                }
                else
                {
                    // One warning, not one per peer: a hub's thousands would bury everything else validate says.
                    warnings.Add(new($"{off.Path}:{ConfigurationKeys.KernelRoutes}",
                        $"no kernel route points the AllowedIPs of {Listed(routed.Select(p => $"'{p.Name}'").ToList(), "peers")} into the router (KernelRoutes is false), so the host's own stack reaches them only through routes you add yourself "
                        + Fix));
                }
            }
        }
    }

    /// <summary>How many items a note or warning names before it counts the rest.</summary>
    internal const int ListedAtMost = 8;

    /// <summary>
    /// <paramref name="items"/> joined with commas; past <see cref="ListedAtMost"/>, the first ones and a count (a hub's
    /// 10 000 prefixes would make one line of hundreds of kilobytes): "12 peers: 'a', 'b', …, and 4 more".
    /// </summary>
    internal static string Listed(IReadOnlyList<string> items, string noun)
    {
        if (items.Count <= ListedAtMost)
        {
            return string.Join(", ", items);
        }

        string first = string.Join(", ", items.Take(ListedAtMost));
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{items.Count} {noun}: {first}, and {items.Count - ListedAtMost} more");
    }

    private static bool IsLinkLocal(InterfaceAddress address) =>
        address.IsIPv6 ? address.Address.IsIPv6LinkLocal : address.Address.GetAddressBytes() is [169, 254, ..];

    /// <summary>
    /// A pin for a folder that is not there is a typo or a plugin gone missing: either way, say so. The folders of a
    /// refused folder of plugin folders count as there (listed by name, never read).
    /// </summary>
    private static void CheckPins(IConfiguration configuration, PluginCatalog catalog, List<ConfigurationProblem> problems)
    {
        foreach (IConfigurationSection pin in configuration.GetSection(ConfigurationKeys.PluginsSha256).GetChildren())
        {
            bool found = false;
            foreach (PluginFolderInfo folder in catalog.Folders)
            {
                found |= string.Equals(Path.GetFileName(folder.Folder), pin.Key, StringComparison.OrdinalIgnoreCase);
            }

            if (!found)
            {
                problems.Add(new(pin.Path, $"no plugin folder '{pin.Key}' in {catalog.SearchedText} (folders: {FolderNames(catalog)}); remove the pin or install the plugin"));
            }
        }
    }

    private static string FolderNames(PluginCatalog catalog)
    {
        var names = new List<string>();
        foreach (PluginFolderInfo folder in catalog.Folders)
        {
            string name = Path.GetFileName(folder.Folder);
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
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

        if (MetricsExposure(options) is { } exposed)
        {
            warnings.Add(exposed);
        }

        ReachWarnings(configuration, catalog, options, warnings);
        return warnings;
    }

    /// <summary>
    /// A Prometheus endpoint on an address other machines can reach: it has no authentication and names every peer
    /// (public key, endpoint), so it is said at <c>validate</c> and when <c>run</c> starts it. Null when it is off or on
    /// loopback.
    /// </summary>
    public static ConfigurationProblem? MetricsExposure(RouterOptions options)
    {
        if (options.Prometheus is not { } address || System.Net.IPAddress.IsLoopback(address.Address))
        {
            return null;
        }

        string loopback = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[::1]:{address.Port}" : $"127.0.0.1:{address.Port}";
        return new(ConfigurationKeys.MetricsPrometheus,
            $"the metrics endpoint listens on {address}, which other machines can reach, and has no authentication: it names every peer (public key, endpoint) and its traffic. "
            + $"Set it to \"{loopback}\" (or just the port) and scrape through a reverse proxy or an SSH tunnel, or let only the scraper reach port {address.Port} with a firewall rule");
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
            problems.Add(new(keyPath, $"no {kindName} plugin named '{name}' (known: {catalog.KnownNames(kind)}; searched {catalog.SearchedText}){folders}"));
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
