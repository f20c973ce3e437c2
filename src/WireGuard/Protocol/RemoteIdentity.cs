using System.Security.Cryptography;
using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// What we know of one peer's static identity: its public key, the preshared key (zeros when none), the static-static
/// shared secret precomputed once (DH(our private, its public)), and the keys derived from its public key (MAC1 of
/// messages we send it; the key its cookie replies to us are encrypted with). Secrets live in pinned arrays wiped on
/// <see cref="Dispose"/>.
/// </summary>
public sealed class RemoteIdentity : IDisposable
{
    private readonly byte[] _publicKey = new byte[32];
    private readonly byte[] _presharedKey = GC.AllocateArray<byte>(32, pinned: true);
    private readonly byte[] _staticShared = GC.AllocateArray<byte>(32, pinned: true);
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];

    private RemoteIdentity(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> presharedKey)
    {
        publicKey.CopyTo(_publicKey);
        if (!presharedKey.IsEmpty)
        {
            presharedKey.CopyTo(_presharedKey);
            HasPresharedKey = true;
        }

        NoiseConstants.LabelledKey(NoiseConstants.LabelMac1, _publicKey, _mac1Key);
        NoiseConstants.LabelledKey(NoiseConstants.LabelCookie, _publicKey, _cookieKey);
    }

    /// <summary>
    /// Builds the identity of the peer with <paramref name="publicKey"/>; false when it cannot be one (the static-static
    /// agreement yields zero: a low-order point, or our own key's mirror).
    /// </summary>
    public static bool TryCreate(LocalIdentity local, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> presharedKey, out RemoteIdentity? identity)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentOutOfRangeException.ThrowIfNotEqual(publicKey.Length, 32, nameof(publicKey));
        if (!presharedKey.IsEmpty)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual(presharedKey.Length, 32, nameof(presharedKey));
        }

        var created = new RemoteIdentity(publicKey, presharedKey);
        if (!KeyAgreementAlgorithm.X25519.Agree(local.PrivateKey, publicKey, created._staticShared))
        {
            created.Dispose();
            identity = null;
            return false;
        }

        identity = created;
        return true;
    }

    /// <summary>The peer's static public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Whether a preshared key was configured.</summary>
    public bool HasPresharedKey { get; }

    /// <summary>The preshared key; 32 zero bytes when none (as the protocol defines).</summary>
    internal ReadOnlySpan<byte> PresharedKey => _presharedKey;

    /// <summary>DH(our static private key, the peer's static public key).</summary>
    internal ReadOnlySpan<byte> StaticShared => _staticShared;

    /// <summary>HASH("mac1----" ‖ its public key): the MAC1 key of messages we send it.</summary>
    public ReadOnlySpan<byte> Mac1Key => _mac1Key;

    /// <summary>HASH("cookie--" ‖ its public key): its cookie replies to us are encrypted with it.</summary>
    public ReadOnlySpan<byte> CookieKey => _cookieKey;

    /// <summary>Wipes the preshared key and the static-static secret.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_presharedKey);
        CryptographicOperations.ZeroMemory(_staticShared);
    }
}
