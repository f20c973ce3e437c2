namespace RouterHost.Abstractions.Tunnels;

/// <summary>
/// An optional capability of an <see cref="IStage"/> that sends over underlay sockets of its own (a tunnel): its
/// sockets can carry a firewall mark (SO_MARK), so policy routing sends its own datagrams apart from the traffic that
/// goes into the tunnel — what a full tunnel needs.
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
