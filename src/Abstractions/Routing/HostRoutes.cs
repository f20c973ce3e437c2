using System.Net;

namespace RouterHost.Abstractions.Routing;

/// <summary>
/// The routes a host needs into the router (see <see cref="IHostRouteTarget"/>).
/// </summary>
/// <param name="Prefixes">Prefixes to route into the device (network addresses, host bits clear), each at most once.</param>
/// <param name="FullTunnelMark">
/// For a prefix of length 0 (a full tunnel: <c>0.0.0.0/0</c>, <c>::/0</c>): the firewall mark the tunnel's own
/// underlay sockets carry. The default route then goes into the routing table of that number, with wg-quick's two
/// policy rules per family (<c>not fwmark M table M</c>, <c>table main suppress_prefixlength 0</c>), so the tunnel's
/// UDP still leaves by the main table. 0 when no prefix has length 0.
/// </param>
public sealed record HostRoutes(IReadOnlyList<IPNetwork> Prefixes, uint FullTunnelMark)
{
    /// <summary>No routes (and no policy rules).</summary>
    public static HostRoutes None { get; } = new([], 0);
}
