using System.Net;

namespace RouterHost.Abstractions;

/// <summary>
/// An optional capability of an <see cref="IContainer"/> whose device is how the host's own network stack reaches the
/// router (a TUN): the router gives it the prefixes the host should route into the device — its peers' allowed IPs, as
/// wg-quick adds them — and the container keeps them as kernel routes on the device until it closes (or until the next
/// call: the router calls again with the whole set whenever its peers change). Added in contract 1.4.
/// </summary>
public interface IHostRouteTarget
{
    /// <summary>The device as an operator knows it, for messages: <c>TUN device rh0 (namespace blue)</c>.</summary>
    string HostRouteDevice { get; }

    /// <summary>
    /// Makes <paramref name="routes"/> the routes this container keeps on its device for the host, replacing the set of
    /// the previous call; throws with the errno and what to do when the kernel refuses (runs on the control plane,
    /// never on the data path).
    /// </summary>
    void SetHostRoutes(HostRoutes routes);
}

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

/// <summary>
/// An optional capability of an <see cref="IStage"/> that sends over underlay sockets of its own (a tunnel): its
/// sockets can carry a firewall mark (SO_MARK), so policy routing sends its own datagrams apart from the traffic that
/// goes into the tunnel — what a full tunnel needs. Added in contract 1.4.
/// </summary>
public interface IUnderlayMarking
{
    /// <summary>The mark the stage's sockets carry; 0 when none.</summary>
    uint FirewallMark { get; }

    /// <summary>
    /// Makes sure the sockets carry a mark and returns it: the configured one, or, when none is configured, one of the
    /// stage's choosing (the WireGuard stage: its listen port, as wg-quick's table 51820). Throws, naming the errno and
    /// the fix, when the kernel refuses the mark.
    /// </summary>
    uint EnsureFirewallMark();
}
