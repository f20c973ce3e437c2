using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// Which stage of the chain owns each peer (by peer index: the chain position, -1 for none), shared by every runner
/// worker. The array is immutable and swapped whole when the router's peers change (contract 1.4,
/// <see cref="IPortRegistry.PortsChanged"/>); workers read it once per batch with one volatile read and take no lock.
/// A removed peer's index maps to -1 (its packets are dropped as <c>peer_not_handled</c>), and indices are never reused.
/// </summary>
internal sealed class PeerOwnerMap
{
    private readonly IReadOnlyList<RouterStage> _stages;
    private int[] _owners;

    public PeerOwnerMap(IReadOnlyList<PortInfo> ports, IReadOnlyList<RouterStage> stages)
    {
        _stages = stages;
        _owners = QueueWorker.PeerOwners(ports, stages);
    }

    /// <summary>The current map (read once per batch).</summary>
    public int[] Current => Volatile.Read(ref _owners);

    /// <summary>Rebuilds the map from <paramref name="ports"/> and swaps it in (off the data path).</summary>
    public void Rebuild(IReadOnlyList<PortInfo> ports) => Volatile.Write(ref _owners, QueueWorker.PeerOwners(ports, _stages));
}
