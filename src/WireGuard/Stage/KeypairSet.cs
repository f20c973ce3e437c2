using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// A peer's sessions: the one we send on (<see cref="Current"/>), the one before it (still accepted for packets in
/// flight), and a responder's session waiting for the initiator's first message (<see cref="Next"/>). Immutable and
/// swapped with a compare-and-swap, so the data path reads a consistent trio with one volatile read and never locks.
/// </summary>
internal sealed class KeypairSet(Keypair? current, Keypair? previous, Keypair? next)
{
    public static readonly KeypairSet Empty = new(null, null, null);

    public Keypair? Current { get; } = current;

    public Keypair? Previous { get; } = previous;

    public Keypair? Next { get; } = next;

    public bool IsEmpty => Current is null && Previous is null && Next is null;
}
