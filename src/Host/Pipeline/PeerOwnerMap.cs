using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// Which stage of the chain owns each peer (by peer index: the chain position, -1 for none), shared by every runner
/// worker. The array is immutable and swapped whole when the router's peers change
/// (<see cref="IPortRegistry.PortsChanged"/>); workers read it once per batch with one volatile read and take no lock.
/// A removed peer's index maps to -1 (its packets are dropped as <c>peer_not_handled</c>), and indices are never reused.
/// </summary>
internal sealed class PeerOwnerMap
{
    private readonly IReadOnlyList<RouterStage> _stages;
    private int[] _owners;

    public PeerOwnerMap(IReadOnlyList<PortInfo> ports, IReadOnlyList<RouterStage> stages)
    {
        _stages = stages;
        _owners = Owners(ports, stages);
    }

    /// <summary>The current map (read once per batch).</summary>
    public int[] Current => Volatile.Read(ref _owners);

    /// <summary>Rebuilds the map from <paramref name="ports"/> and swaps it in (off the data path).</summary>
    public void Rebuild(IReadOnlyList<PortInfo> ports) => Volatile.Write(ref _owners, Owners(ports, _stages));

    /// <summary>
    /// For each peer of <paramref name="ports"/> (by peer index), the position in <paramref name="stages"/> of the
    /// stage that registered it (<see cref="PortInfo.Owner"/>), or -1 when no stage of the chain has that name.
    /// </summary>
    public static int[] Owners(IReadOnlyList<PortInfo> ports, IReadOnlyList<RouterStage> stages)
    {
        int count = 0;
        foreach (PortInfo port in ports)
        {
            if (port.Id.Kind == PortKind.Peer)
            {
                count = Math.Max(count, port.Id.Index + 1);
            }
        }

        var owners = new int[count];
        Array.Fill(owners, -1);
        foreach (PortInfo port in ports)
        {
            if (port.Id.Kind != PortKind.Peer)
            {
                continue;
            }

            for (int k = 0; k < stages.Count; k++)
            {
                if (string.Equals(stages[k].Name, port.Owner, StringComparison.Ordinal))
                {
                    owners[port.Id.Index] = k;
                    break;
                }
            }
        }

        return owners;
    }
}
