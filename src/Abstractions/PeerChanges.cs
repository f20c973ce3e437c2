using System.Net;

namespace RouterHost.Abstractions;

/// <summary>A peer to register: while its stage is created (<see cref="IPortRegistry.AddPeer"/>) or at runtime (<see cref="IPortRegistry.ChangePeers"/>).</summary>
/// <param name="Name">Its unique port name.</param>
/// <param name="Groups">Groups firewall rules can name.</param>
/// <param name="Prefixes">Its allowed prefixes (see <see cref="PortInfo.Prefixes"/>).</param>
/// <param name="Mtu">Its tunnel's inner MTU (see <see cref="PortInfo.Mtu"/>); 0 when unknown.</param>
public sealed record PeerRegistration(string Name, IReadOnlyList<string> Groups, IReadOnlyList<IPNetwork> Prefixes, int Mtu);

/// <summary>New groups, prefixes and MTU for a registered peer (its id and name stay).</summary>
/// <param name="Id">The peer's id.</param>
/// <param name="Groups">Its groups from now on.</param>
/// <param name="Prefixes">Its allowed prefixes from now on.</param>
/// <param name="Mtu">Its tunnel's inner MTU from now on.</param>
public sealed record PeerUpdate(PortId Id, IReadOnlyList<string> Groups, IReadOnlyList<IPNetwork> Prefixes, int Mtu);

/// <summary>One step of changes to a stage's peers, applied by <see cref="IPortRegistry.ChangePeers"/>.</summary>
public sealed record PeerChanges
{
    /// <summary>Peers to remove (their ids are not reused).</summary>
    public IReadOnlyList<PortId> Remove { get; init; } = [];

    /// <summary>Peers to change in place.</summary>
    public IReadOnlyList<PeerUpdate> Update { get; init; } = [];

    /// <summary>Peers to register.</summary>
    public IReadOnlyList<PeerRegistration> Add { get; init; } = [];

    /// <summary>Whether there is nothing to do.</summary>
    public bool IsEmpty => Remove.Count == 0 && Update.Count == 0 && Add.Count == 0;
}

/// <summary>What <see cref="IPortRegistry.ChangePeers"/> changed.</summary>
/// <param name="owner">The stage whose peers changed.</param>
/// <param name="removed">The removed peers (as they were).</param>
/// <param name="updated">The updated peers (as they are now).</param>
/// <param name="added">The added peers.</param>
public sealed class PortsChangedEventArgs(string owner, IReadOnlyList<PortInfo> removed, IReadOnlyList<PortInfo> updated, IReadOnlyList<PortInfo> added) : EventArgs
{
    /// <summary>The stage whose peers changed.</summary>
    public string Owner { get; } = owner;

    /// <summary>The removed peers, as they were.</summary>
    public IReadOnlyList<PortInfo> Removed { get; } = removed;

    /// <summary>The updated peers, as they are now.</summary>
    public IReadOnlyList<PortInfo> Updated { get; } = updated;

    /// <summary>The added peers.</summary>
    public IReadOnlyList<PortInfo> Added { get; } = added;
}
