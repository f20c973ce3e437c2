using System.Net;
using System.Net.Sockets;

namespace RouterHost.Netlink;

/// <summary>A route out of one device, in the main table unless told, as a configuration asks for it.</summary>
/// <param name="Destination">The destination prefix (no bits set past <paramref name="PrefixLength"/>).</param>
/// <param name="PrefixLength">Its length.</param>
/// <param name="Gateway">The next hop, or null for a directly connected route.</param>
/// <param name="Metric">The metric, or null for the kernel's default (0 for IPv4, 1024 for IPv6).</param>
/// <param name="Table">The routing table (<see cref="RouteTable.Main"/> unless told; a full tunnel's default route goes to its own).</param>
public sealed record DeviceRoute(IPAddress Destination, int PrefixLength, IPAddress? Gateway = null, int? Metric = null, int Table = RouteTable.Main)
{
    /// <summary>The metric the kernel gives an IPv6 route added without one (IP6_RT_PRIO_USER).</summary>
    public const int DefaultIPv6Metric = 1024;

    /// <summary>Whether <paramref name="route"/> (from a dump) is this route: table, prefix, next hop and metric.</summary>
    public bool Matches(RouteInfo route)
    {
        ArgumentNullException.ThrowIfNull(route);
        bool v6 = Destination.AddressFamily == AddressFamily.InterNetworkV6;
        return route.Family == Destination.AddressFamily
            && route.Table == Table
            && route.PrefixLength == PrefixLength
            && route.Destination.Equals(Destination)
            && Equals(route.Gateway, Gateway)
            && (route.Metric ?? 0) == (Metric ?? (v6 ? DefaultIPv6Metric : 0));
    }

    /// <inheritdoc />
    public override string ToString() => Format(Destination, PrefixLength, Gateway, Metric, Table);

    /// <summary>A dumped route in the same words.</summary>
    internal static string Describe(RouteInfo route) => Format(route.Destination, route.PrefixLength, route.Gateway, route.Metric, route.Table);

    private static string Format(IPAddress destination, int prefixLength, IPAddress? gateway, int? metric, int table) =>
        $"{destination}/{prefixLength}{(gateway is null ? string.Empty : $" via {gateway}")}{(metric is null ? string.Empty : $" metric {metric}")}"
        + (table == RouteTable.Main ? string.Empty : $" table {table}");
}
