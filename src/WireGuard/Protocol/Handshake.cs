using System.Security.Cryptography;
using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// One peer's Noise handshake state: the chaining key and hash so far, our ephemeral key, the peer's ephemeral key,
/// both indices, and the replay and flood state of initiations from the peer. Used by one thread at a time (the
/// stage's handshake thread); secrets live in pinned arrays wiped by <see cref="Clear"/> and <see cref="Dispose"/>.
/// </summary>
public sealed class Handshake : IDisposable
{
    internal readonly byte[] ChainKey = GC.AllocateArray<byte>(32, pinned: true);
    internal readonly byte[] Hash = GC.AllocateArray<byte>(32, pinned: true);
    internal readonly byte[] RemoteEphemeral = new byte[32];
    internal readonly byte[] LatestTimestamp = new byte[Tai64N.Size];

    internal X25519PrivateKey? LocalEphemeral;

    /// <summary>The stage reached.</summary>
    public HandshakeStage Stage { get; internal set; }

    /// <summary>Our index for this handshake (the sender index of the message we sent).</summary>
    public uint LocalIndex { get; internal set; }

    /// <summary>The peer's index (the sender index of the message it sent).</summary>
    public uint RemoteIndex { get; internal set; }

    /// <summary>When (monotonic ms) we last accepted an initiation from this peer; 0 if never.</summary>
    public long LastInitiationConsumedMs { get; internal set; }

    /// <summary>Whether an initiation from this peer was ever accepted (so <see cref="LatestTimestamp"/> is meaningful).</summary>
    public bool HasTimestamp { get; internal set; }

    /// <summary>Forgets the handshake under way (keys wiped); the initiation replay state stays.</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(ChainKey);
        CryptographicOperations.ZeroMemory(Hash);
        RemoteEphemeral.AsSpan().Clear();
        LocalEphemeral?.Dispose();
        LocalEphemeral = null;
        Stage = HandshakeStage.None;
        LocalIndex = 0;
        RemoteIndex = 0;
    }

    /// <summary>Wipes everything.</summary>
    public void Dispose()
    {
        Clear();
        LatestTimestamp.AsSpan().Clear();
        HasTimestamp = false;
    }
}
