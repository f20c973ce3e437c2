using RouterHost.Underlay;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// Where a peer is: its address, and our local address it last reached us on (replies leave from it, so a multi-homed
/// router answers from the address the peer knows). Immutable: roaming swaps in a new one, so readers on other
/// threads never see half of an update. Allocated only when the endpoint changes.
/// </summary>
internal sealed class PeerEndpoint(UdpEndpoint remote, UdpEndpoint local)
{
    public UdpEndpoint Remote { get; } = remote;

    public UdpEndpoint Local { get; } = local;

    public override string ToString() => Remote.ToString();
}
