namespace RouterHost.Abstractions;

/// <summary>
/// The router's ports by name. Interfaces come from configuration; stages that terminate tunnels register
/// their peers while being created, so that every stage can resolve names to ids in <see cref="IStage.Start"/>,
/// and may add, update and remove them while the router runs (<see cref="ChangePeers"/>).
/// Thread-safe.
/// </summary>
public interface IPortRegistry
{
    /// <summary>Every port registered so far.</summary>
    IReadOnlyList<PortInfo> Ports { get; }

    /// <summary>Finds a port by name (case-insensitive).</summary>
    bool TryFind(string name, out PortInfo port);

    /// <summary>Finds a port by id.</summary>
    bool TryGet(PortId id, out PortInfo port);

    /// <summary>
    /// Registers <paramref name="peer"/>, owned by <paramref name="ownerStage"/>, with its groups, its allowed prefixes
    /// (see <see cref="PortInfo.Prefixes"/>: the routing stage turns them into routes to the peer and into the check
    /// that the peer's packets come from inside them) and the inner MTU of its tunnel (<see cref="PortInfo.Mtu"/>: the
    /// largest IP packet the tunnel carries to it, which the routing stage holds packets to; 0 when unknown). Throws
    /// <see cref="InvalidOperationException"/> (naming both) if another port already has the name, and
    /// <see cref="ArgumentOutOfRangeException"/> (naming the peer) for a negative MTU. The prefixes need no check here:
    /// an <see cref="System.Net.IPNetwork"/> has no host bits (a stage validates its settings' text, with key paths,
    /// before it converts them).
    /// </summary>
    PortInfo AddPeer(string ownerStage, PeerRegistration peer);

    /// <summary>
    /// Changes the peers of <paramref name="ownerStage"/> while the router runs, as one step: removes
    /// <see cref="PeerChanges.Remove"/>, then updates <see cref="PeerChanges.Update"/> (groups, prefixes, MTU; the
    /// name and id stay), then registers <see cref="PeerChanges.Add"/>. Everything is checked first — an id that is not
    /// a peer of that stage, a name another port has (after the removals), a name twice — and a check that fails throws
    /// <see cref="InvalidOperationException"/> naming what, changing nothing. A removed peer's id is never given to
    /// another peer, so a packet still carrying it can never reach a new one. Returns the added peers in order; then
    /// raises <see cref="PortsChanged"/> once.
    /// </summary>
    IReadOnlyList<PortInfo> ChangePeers(string ownerStage, PeerChanges changes);

    /// <summary>
    /// Raised after <see cref="ChangePeers"/> changed the ports, on the thread that changed them (a reload, never the
    /// data path), one change at a time. A stage that derives anything from the ports (routes and the cryptokey check,
    /// rules naming groups) subscribes in <see cref="IStage.Start"/> and rebuilds its snapshot from
    /// <see cref="Ports"/>, swapping it whole: what a change adds and removes appears to its workers in one step.
    /// </summary>
    event EventHandler<PortsChangedEventArgs>? PortsChanged;
}
