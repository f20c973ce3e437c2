using System.Security.Cryptography;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// An initiation half read: its static key decrypted (so the caller can find the peer), the chaining key and hash
/// up to that point. Reused by one thread; <see cref="Clear"/> wipes it.
/// </summary>
public sealed class PendingInitiation
{
    internal readonly byte[] ChainKey = GC.AllocateArray<byte>(32, pinned: true);
    internal readonly byte[] Hash = GC.AllocateArray<byte>(32, pinned: true);
    internal readonly byte[] RemoteEphemeral = new byte[32];
    internal readonly byte[] RemoteStatic = new byte[32];

    /// <summary>The initiator's static public key.</summary>
    public ReadOnlySpan<byte> RemoteStaticKey => RemoteStatic;

    /// <summary>The initiator's sender index.</summary>
    public uint SenderIndex { get; internal set; }

    /// <summary>Wipes the state.</summary>
    public void Clear()
    {
        CryptographicOperations.ZeroMemory(ChainKey);
        CryptographicOperations.ZeroMemory(Hash);
        RemoteEphemeral.AsSpan().Clear();
        RemoteStatic.AsSpan().Clear();
        SenderIndex = 0;
    }
}
