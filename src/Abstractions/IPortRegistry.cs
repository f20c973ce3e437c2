namespace RouterHost.Abstractions;

/// <summary>
/// The router's ports by name. Interfaces come from configuration; stages that terminate tunnels register
/// their peers while being created, so that every stage can resolve names to ids in <see cref="IStage.Start"/>.
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
}
