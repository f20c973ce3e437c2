using System.Security.Cryptography;
using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// What we know of one peer's static identity: its public key, the preshared key (zeros when none), the static-static
/// shared secret (DH(our private, its public)), and the keys derived from its public key (MAC1 of messages we send it;
/// the key its cookie replies to us are encrypted with). Secrets live in pinned arrays wiped on <see cref="Dispose"/>.
/// <para>
/// The static-static secret is agreed on first use (<see cref="TryGetStaticShared"/>, the peer's first handshake, on
/// the thread that owns the peer's handshakes), not when the identity is made: a hub of 10 000 peers would otherwise
/// spend an X25519 agreement on each at start and on every private-key change, most for peers that never connect. A key
/// that can never yield a secret (a low-order point, <see cref="YieldsNoSharedSecret"/>) is refused when the identity is
/// made, as before, so configuration still names it.
/// </para>
/// </summary>
public sealed class RemoteIdentity : IDisposable
{
    private readonly byte[] _publicKey = new byte[32];
    private readonly byte[] _presharedKey = GC.AllocateArray<byte>(32, pinned: true);
    private readonly byte[] _staticShared = GC.AllocateArray<byte>(32, pinned: true);
    private readonly byte[] _mac1Key = new byte[32];
    private readonly byte[] _cookieKey = new byte[32];
    private readonly LocalIdentity _local;
    private int _staticState;

    /// <summary>
    /// The X25519 public keys (u-coordinates, little-endian, bit 255 ignored as X25519 ignores it) of the points of small
    /// order on Curve25519 and its twist: 0, 1, the two of order 8, p−1, and the non-canonical p and p+1. The clamped
    /// scalar is a multiple of 8, so an agreement with any of them, and only with them, yields zero.
    /// </summary>
    private static readonly byte[][] s_lowOrder =
    [
        Convert.FromHexString("0000000000000000000000000000000000000000000000000000000000000000"),
        Convert.FromHexString("0100000000000000000000000000000000000000000000000000000000000000"),
        Convert.FromHexString("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        Convert.FromHexString("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
        Convert.FromHexString("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        Convert.FromHexString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        Convert.FromHexString("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ];

    private const int StaticPending = 0;
    private const int StaticReady = 1;
    private const int StaticUnusable = 2;

    private RemoteIdentity(LocalIdentity local, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> presharedKey)
    {
        _local = local;
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
    /// Builds the identity of the peer with <paramref name="publicKey"/> as seen by <paramref name="local"/>; false when it
    /// cannot be one (a low-order point, whose agreement with any private key yields zero:
    /// <see cref="YieldsNoSharedSecret"/>). The static-static agreement itself is made on first use.
    /// </summary>
    public static bool TryCreate(LocalIdentity local, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> presharedKey, out RemoteIdentity? identity)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentOutOfRangeException.ThrowIfNotEqual(publicKey.Length, 32, nameof(publicKey));
        if (!presharedKey.IsEmpty)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual(presharedKey.Length, 32, nameof(presharedKey));
        }

        if (YieldsNoSharedSecret(publicKey))
        {
            identity = null;
            return false;
        }

        identity = new RemoteIdentity(local, publicKey, presharedKey);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="publicKey"/> (32 bytes) is a low-order point: an X25519 agreement of any private key with
    /// it yields zero, so no peer can have it. Needs no private key (configuration validation asks it).
    /// </summary>
    public static bool YieldsNoSharedSecret(ReadOnlySpan<byte> publicKey)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(publicKey.Length, 32, nameof(publicKey));
        foreach (byte[] low in s_lowOrder)
        {
            if (publicKey[..31].SequenceEqual(low.AsSpan(0, 31)) && (publicKey[31] & 0x7f) == low[31])
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The peer's static public key.</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Whether a preshared key was configured.</summary>
    public bool HasPresharedKey { get; }

    /// <summary>The preshared key; 32 zero bytes when none (as the protocol defines).</summary>
    internal ReadOnlySpan<byte> PresharedKey => _presharedKey;

    /// <summary>
    /// DH(our static private key, the peer's static public key), agreed on the first call. Not thread-safe: called only
    /// by the thread that owns the peer's handshakes (the stage's handshake thread). False when the agreement yields no
    /// secret (not for a key <see cref="TryCreate"/> accepted) or the identity was disposed.
    /// </summary>
    internal bool TryGetStaticShared(out ReadOnlySpan<byte> shared)
    {
        if (_staticState == StaticPending)
        {
            _staticState = KeyAgreementAlgorithm.X25519.Agree(_local.PrivateKey, _publicKey, _staticShared) ? StaticReady : StaticUnusable;
        }

        shared = _staticState == StaticReady ? _staticShared : default;
        return _staticState == StaticReady;
    }

    /// <summary>Whether the static-static secret has been agreed yet (tests).</summary>
    internal bool StaticSharedAgreed => _staticState == StaticReady;

    /// <summary>HASH("mac1----" ‖ its public key): the MAC1 key of messages we send it.</summary>
    public ReadOnlySpan<byte> Mac1Key => _mac1Key;

    /// <summary>HASH("cookie--" ‖ its public key): its cookie replies to us are encrypted with it.</summary>
    public ReadOnlySpan<byte> CookieKey => _cookieKey;

    /// <summary>Wipes the preshared key and the static-static secret.</summary>
    public void Dispose()
    {
        _staticState = StaticUnusable;
        CryptographicOperations.ZeroMemory(_presharedKey);
        CryptographicOperations.ZeroMemory(_staticShared);
    }
}
