using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Routing;

/// <summary>
/// One route: packets to <paramref name="Prefix"/> leave through <paramref name="Port"/> (an interface or a peer),
/// handed to <paramref name="Gateway"/> when there is one, at <paramref name="Metric"/> (lower is preferred).
/// Routes to one prefix with the same lowest metric form an ECMP group. Two routes are the same route when
/// prefix, port, gateway and metric are equal; adding one twice keeps one.
/// </summary>
/// <param name="Prefix">The destination prefix.</param>
/// <param name="Port">The egress port; must not be <see cref="PortId.None"/>.</param>
/// <param name="Gateway">The next hop on that interface, or null for a directly connected prefix or a peer.</param>
/// <param name="Metric">The preference among routes to the same prefix; lowest wins.</param>
public readonly record struct Route(IpPrefix Prefix, PortId Port, IPAddress? Gateway = null, uint Metric = 0)
{
    /// <summary>The route's target as stored in the table (validated), without a next-hop id.</summary>
    internal RouteTarget ToTarget() => ToTarget(null);

    /// <summary>The route's target as stored in the table (validated), its gateway interned in <paramref name="nextHops"/>.</summary>
    internal RouteTarget ToTarget(NextHopTable? nextHops)
    {
        if (Port.IsNone)
        {
            throw new ArgumentException($"The route to {Prefix} has no port: a route must name an interface or a peer.", nameof(Port));
        }

        if (Gateway is null)
        {
            return new RouteTarget(Port, 0, UInt128.Zero, Metric, Prefix.Length);
        }

        byte family = Gateway.AddressFamily switch
        {
            AddressFamily.InterNetwork => 4,
            AddressFamily.InterNetworkV6 => 6,
            _ => throw new ArgumentException($"The gateway '{Gateway}' of the route to {Prefix} is not an IPv4 or IPv6 address.", nameof(Gateway)),
        };

        UInt128 gateway = IpPrefix.ToNumber(Gateway);
        return new RouteTarget(Port, family, gateway, Metric, Prefix.Length, nextHops?.Intern(family, gateway) ?? 0);
    }

    /// <inheritdoc />
    public override string ToString() =>
        Gateway is null ? $"{Prefix} dev {Port} metric {Metric}" : $"{Prefix} via {Gateway} dev {Port} metric {Metric}";
}
