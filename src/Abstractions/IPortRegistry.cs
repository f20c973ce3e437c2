namespace RouterHost.Abstractions;

/// <summary>
/// The router's ports by name. Interfaces come from configuration; stages that terminate tunnels register
/// their peers while being created, so that every stage can resolve names to ids in <see cref="IStage.Start"/>,
/// and may add, update and remove them while the router runs (<see cref="ChangePeers"/>, contract 1.4).
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
    /// Registers a peer owned by <paramref name="ownerStage"/>. Throws <see cref="InvalidOperationException"/>
    /// (naming both) if another port already has the name.
    /// </summary>
    PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage);

    /// <summary>
    /// Registers a peer with its allowed prefixes (see <see cref="PortInfo.Prefixes"/>), which the routing stage
    /// turns into routes to the peer and into the check that the peer's packets come from inside them.
    /// Added in contract 1.1.
    /// </summary>
    PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage, IReadOnlyList<string> prefixes);

    /// <summary>
    /// Registers a peer with its allowed prefixes and the inner MTU of its tunnel (<see cref="PortInfo.Mtu"/>: the
    /// largest IP packet the tunnel carries to it), which the routing stage holds packets to. Added in contract 1.3.
    /// </summary>
    PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage, IReadOnlyList<string> prefixes, int mtu);

    /// <summary>
    /// Changes the peers of <paramref name="ownerStage"/> while the router runs, as one step: removes
    /// <see cref="PeerChanges.Remove"/>, then updates <see cref="PeerChanges.Update"/> (groups, prefixes, MTU; the
    /// name and id stay), then registers <see cref="PeerChanges.Add"/>. Everything is checked first — an id that is not
    /// a peer of that stage, a name another port has (after the removals), a name twice — and a check that fails throws
    /// <see cref="InvalidOperationException"/> naming what, changing nothing. A removed peer's id is never given to
    /// another peer, so a packet still carrying it can never reach a new one. Returns the added peers in order; then
    /// raises <see cref="PortsChanged"/> once. Added in contract 1.4.
    /// </summary>
    IReadOnlyList<PortInfo> ChangePeers(string ownerStage, PeerChanges changes);

    /// <summary>
    /// Raised after <see cref="ChangePeers"/> changed the ports, on the thread that changed them (a reload, never the
    /// data path), one change at a time. A stage that derives anything from the ports (routes and the cryptokey check,
    /// rules naming groups) subscribes in <see cref="IStage.Start"/> and rebuilds its snapshot from
    /// <see cref="Ports"/>, swapping it whole: what a change adds and removes appears to its workers in one step.
    /// Added in contract 1.4.
    /// </summary>
    event EventHandler<PortsChangedEventArgs>? PortsChanged;
}
