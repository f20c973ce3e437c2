using RouterHost.Abstractions;

namespace RouterHost.Routing.Stage;

/// <summary>
/// What the Routing stage's workers read: built whole off the data path (at start and on every reload) and
/// swapped in with one <see cref="Volatile.Write{T}(ref T, T)"/>, so a batch always sees one consistent table.
/// </summary>
internal sealed class RoutingSnapshot(RoutingTable table, AllowedPrefixes allowed, RoutingSettings settings)
{
    public RoutingTable Table { get; } = table;

    public AllowedPrefixes Allowed { get; } = allowed;

    public RoutingSettings Settings { get; } = settings;

    /// <summary>The ICMPv4 error source address (4 bytes), or empty when none is configured.</summary>
    public byte[] IcmpSource4 { get; } = settings.IcmpSourceIPv4?.GetAddressBytes() ?? [];

    /// <summary>The ICMPv6 error source address (16 bytes), or empty when none is configured.</summary>
    public byte[] IcmpSource6 { get; } = settings.IcmpSourceIPv6?.GetAddressBytes() ?? [];

    /// <summary>
    /// Resolves the routes' port names (interning their gateways in the stage's <paramref name="nextHops"/>) and adds every peer's allowed prefixes (as routes, unless
    /// <see cref="RoutingSettings.PeerRoutes"/> is off, and as the source check). Problems name key paths.
    /// </summary>
    public static RoutingSnapshot? Build(RoutingSettings settings, IPortRegistry ports, List<ConfigurationProblem> problems, NextHopTable nextHops)
    {
        var builder = new RoutingTableBuilder(nextHops);
        foreach (ConfiguredRoute route in settings.Routes)
        {
            if (!ports.TryFind(route.PortName, out PortInfo? port))
            {
                problems.Add(new(route.Path, $"names {(route.IsPeer ? "peer" : "interface")} '{route.PortName}', which this router does not have (it has: {Names(ports)})"));
                continue;
            }

            if ((port.Id.Kind == PortKind.Peer) != route.IsPeer)
            {
                problems.Add(new(route.Path, $"'{route.PortName}' is {(port.Id.Kind == PortKind.Peer ? "a peer: use \"Peer\"" : "an interface: use \"Interface\"")}"));
                continue;
            }

            builder.Add(new Route(route.Prefix, port.Id, route.Via, route.Metric));
        }

        var allowed = new AllowedPrefixesBuilder();
        foreach (PortInfo port in ports.Ports)
        {
            if (port.Id.Kind != PortKind.Peer)
            {
                continue;
            }

            foreach (string text in port.Prefixes)
            {
                RoutePrefix prefix;
                try
                {
                    prefix = RoutePrefix.Parse(text);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException)
                {
                    problems.Add(new($"peer '{port.Name}' (from stage '{port.Owner}')", $"allowed prefix '{text}': {ex.Message}"));
                    continue;
                }

                allowed.Add(port.Id, prefix);
                if (settings.PeerRoutes)
                {
                    builder.Add(new Route(prefix, port.Id, null, settings.PeerRouteMetric));
                }
            }
        }

        return problems.Count == 0 ? new RoutingSnapshot(builder.Build(), allowed.Build(), settings) : null;
    }

    private static string Names(IPortRegistry ports)
    {
        var names = new List<string>();
        foreach (PortInfo port in ports.Ports)
        {
            names.Add(port.Name);
        }

        return names.Count == 0 ? "no ports" : string.Join(", ", names);
    }
}
