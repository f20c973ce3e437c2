namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The stage's running peers, immutable: the list, the peer behind each port index (what the send path looks up per
/// packet) and by public key (what the handshake thread looks up). Built off the data path and swapped whole with one
/// volatile write when peers change at runtime, so readers take no lock and see one consistent set.
/// </summary>
internal sealed class PeerTable
{
    private PeerTable(WireGuardPeer[] all, WireGuardPeer?[] byPortIndex, Dictionary<string, WireGuardPeer> byKey)
    {
        All = all;
        ByPortIndex = byPortIndex;
        ByKey = byKey;
    }

    public WireGuardPeer[] All { get; }

    /// <summary>Indexed by <see cref="RouterHost.Abstractions.PortId.Index"/>; null where the port is not one of ours.</summary>
    public WireGuardPeer?[] ByPortIndex { get; }

    /// <summary>By base64 public key; never written after the table is built.</summary>
    public Dictionary<string, WireGuardPeer> ByKey { get; }

    public static PeerTable Create(IReadOnlyList<WireGuardPeer> peers)
    {
        int max = 0;
        var byKey = new Dictionary<string, WireGuardPeer>(StringComparer.Ordinal);
        foreach (WireGuardPeer peer in peers)
        {
            max = Math.Max(max, peer.Port.Index + 1);
            byKey[Convert.ToBase64String(peer.Identity.PublicKey)] = peer;
        }

        var byPort = new WireGuardPeer?[max];
        foreach (WireGuardPeer peer in peers)
        {
            byPort[peer.Port.Index] = peer;
        }

        return new PeerTable([.. peers], byPort, byKey);
    }
}
