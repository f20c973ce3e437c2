using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Routing.Stage;

/// <summary>A configured route before its port name is resolved.</summary>
/// <param name="Path">The route's configuration path, for messages.</param>
/// <param name="Prefix">The destination.</param>
/// <param name="PortName">The interface or peer it leads to.</param>
/// <param name="IsPeer">Whether <paramref name="PortName"/> names a peer (else an interface).</param>
/// <param name="Via">The next hop, if any.</param>
/// <param name="Metric">Lower wins; equal metrics on one prefix share traffic (ECMP).</param>
internal sealed record ConfiguredRoute(string Path, IpPrefix Prefix, string PortName, bool IsPeer, IPAddress? Via, uint Metric);

/// <summary>
/// The Routing stage's <c>Settings</c>, read by hand so each problem names its key path:
/// <code>
/// "Routes": [ { "Destination": "10.2.0.0/16", "Interface": "lan", "Via": "10.1.0.254", "Metric": 0 },
///             { "Destination": "10.9.0.0/16", "Peer": "alice" } ],
/// "PeerRoutes": true, "PeerRouteMetric": 0,
/// "IcmpSource": { "IPv4": "10.1.0.1", "IPv6": "fd01::1" },
/// "IcmpErrors": { "Enabled": true, "PerSecond": 100, "Burst": 50 },
/// "DecrementTtl": true,
/// "ConnectedRoutes": true, "FragmentIPv4": true
/// </code>
/// </summary>
internal sealed record RoutingSettings
{
    private static readonly string[] s_keys = ["Routes", "PeerRoutes", "PeerRouteMetric", "IcmpSource", "IcmpErrors", "DecrementTtl", "ConnectedRoutes", "FragmentIPv4"];
    private static readonly string[] s_routeKeys = ["Destination", "Interface", "Peer", "Via", "Metric"];

    public IReadOnlyList<ConfiguredRoute> Routes { get; init; } = [];

    /// <summary>Whether every peer's allowed prefixes become routes to it (as WireGuard's allowed IPs do).</summary>
    public bool PeerRoutes { get; init; } = true;

    public uint PeerRouteMetric { get; init; }

    public IPAddress? IcmpSourceIPv4 { get; init; }

    public IPAddress? IcmpSourceIPv6 { get; init; }

    public bool IcmpErrors { get; init; } = true;

    public double IcmpPerSecond { get; init; } = 100;

    public int IcmpBurst { get; init; } = 50;

    public bool DecrementTtl { get; init; } = true;

    /// <summary>Whether every interface's addresses (<see cref="PortInfo.Addresses"/>) make routes to their prefixes.</summary>
    public bool ConnectedRoutes { get; init; } = true;

    /// <summary>
    /// Whether an IPv4 packet without DF that is larger than its egress's MTU is fragmented (as RFC 791 routers do);
    /// when false it is dropped (and a fragmentation-needed goes back, as for a packet with DF).
    /// </summary>
    public bool FragmentIPv4 { get; init; } = true;

    public static RoutingSettings Parse(IConfigurationSection settings, List<ConfigurationProblem> problems)
    {
        var reader = new SettingsReader(problems);
        reader.CheckKeys(settings, s_keys);
        var routes = new List<ConfiguredRoute>();
        foreach (IConfigurationSection item in settings.GetSection("Routes").GetChildren())
        {
            if (ParseRoute(item, reader) is { } route)
            {
                routes.Add(route);
            }
        }

        IConfigurationSection icmpSource = settings.GetSection("IcmpSource");
        reader.CheckKeys(icmpSource, "IPv4", "IPv6");
        IConfigurationSection icmp = settings.GetSection("IcmpErrors");
        reader.CheckKeys(icmp, "Enabled", "PerSecond", "Burst");
        return new RoutingSettings
        {
            Routes = routes,
            PeerRoutes = reader.Boolean(settings, "PeerRoutes", true),
            PeerRouteMetric = (uint)reader.Integer(settings, "PeerRouteMetric", 0, 0, uint.MaxValue),
            IcmpSourceIPv4 = reader.Address(icmpSource, "IPv4", AddressFamily.InterNetwork),
            IcmpSourceIPv6 = reader.Address(icmpSource, "IPv6", AddressFamily.InterNetworkV6),
            IcmpErrors = reader.Boolean(icmp, "Enabled", true),
            IcmpPerSecond = reader.Number(icmp, "PerSecond", 100, 0.001, 1_000_000),
            IcmpBurst = (int)reader.Integer(icmp, "Burst", 50, 1, 1_000_000),
            DecrementTtl = reader.Boolean(settings, "DecrementTtl", true),
            ConnectedRoutes = reader.Boolean(settings, "ConnectedRoutes", true),
            FragmentIPv4 = reader.Boolean(settings, "FragmentIPv4", true),
        };
    }

    private static ConfiguredRoute? ParseRoute(IConfigurationSection item, SettingsReader reader)
    {
        if (item.Value is not null)
        {
            reader.Problem(item.Path, "must be an object like { \"Destination\": \"10.2.0.0/16\", \"Interface\": \"lan\" }");
            return null;
        }

        reader.CheckKeys(item, s_routeKeys);
        int before = reader.Problems.Count;
        IpPrefix prefix = default;
        string? destination = item["Destination"];
        if (string.IsNullOrWhiteSpace(destination))
        {
            reader.Problem($"{item.Path}:Destination", "is missing: give a prefix like 10.2.0.0/16 or 2001:db8::/32 (0.0.0.0/0 for a default route)");
        }
        else
        {
            try
            {
                prefix = IpPrefix.Parse(destination.Trim());
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                reader.Problem($"{item.Path}:Destination", ex.Message);
            }
        }

        string? iface = item["Interface"];
        string? peer = item["Peer"];
        if (string.IsNullOrWhiteSpace(iface) == string.IsNullOrWhiteSpace(peer))
        {
            reader.Problem(item.Path, "must name exactly one of Interface (an interface of this router) or Peer (a peer of a tunnel stage)");
        }

        IPAddress? via = reader.Address(item, "Via");
        if (via is not null)
        {
            if (!string.IsNullOrWhiteSpace(peer))
            {
                reader.Problem($"{item.Path}:Via", "a route to a peer has no next hop: the tunnel is the next hop");
            }
            else if (before == reader.Problems.Count && (via.AddressFamily == AddressFamily.InterNetworkV6) != prefix.IsIPv6)
            {
                reader.Problem($"{item.Path}:Via", $"must be of the same family as the destination {prefix} (got {via})");
            }
        }

        uint metric = (uint)reader.Integer(item, "Metric", 0, 0, uint.MaxValue);
        return reader.Problems.Count == before
            ? new ConfiguredRoute(item.Path, prefix, (iface ?? peer)!.Trim(), string.IsNullOrWhiteSpace(iface), via, metric)
            : null;
    }
}
