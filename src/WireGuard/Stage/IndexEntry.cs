using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// What one of our indices belongs to: a peer's handshake under way (<see cref="Keypair"/> null: responses and cookie
/// replies are addressed to it) or one of its sessions (transport messages are addressed to it).
/// </summary>
internal sealed class IndexEntry(WireGuardPeer peer, Keypair? keypair)
{
    public WireGuardPeer Peer { get; } = peer;

    public Keypair? Keypair { get; } = keypair;
}
