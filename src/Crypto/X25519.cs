using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// X25519 (RFC 7748): 32-byte private keys, public keys and shared secrets. Reach it as
/// <see cref="KeyAgreementAlgorithm.X25519"/>. All methods are thread-safe.
/// </summary>
public sealed class X25519 : KeyAgreementAlgorithm
{
    /// <summary>Size of private keys, public keys and shared secrets in bytes.</summary>
    public const int KeySize = 32;

    internal X25519()
    {
    }

    /// <inheritdoc/>
    public override bool IsSupported => BackendChoice.X25519 != NativeBackend.None;

    /// <summary>Generates a private key from the OS CSPRNG, clamped as WireGuard (<c>wg genkey</c>) does.</summary>
    public X25519PrivateKey GenerateKey()
    {
        Span<byte> scalar = stackalloc byte[KeySize];
        RandomNumberGenerator.Fill(scalar);
        scalar[0] &= 248;
        scalar[31] = (byte)((scalar[31] & 127) | 64);
        X25519PrivateKey key = new(BackendChoice.X25519, scalar);
        CryptographicOperations.ZeroMemory(scalar);
        return key;
    }

    /// <summary>
    /// Imports a 32-byte private scalar (any bytes; clamping happens in the scalar multiplication) into libsodium's
    /// guarded memory (see <see cref="X25519PrivateKey"/>).
    /// </summary>
    public X25519PrivateKey ImportPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeySize)
        {
            ThrowHelper.ArgumentLength(nameof(privateKey), KeySize);
        }

        return new X25519PrivateKey(BackendChoice.X25519, privateKey, guarded: true);
    }

    /// <summary>
    /// Computes the shared secret with <paramref name="peerPublicKey"/>. Returns false, with
    /// <paramref name="sharedSecret"/> cleared, when the result is all zeros (a low-order peer key), as
    /// RFC 7748 §6.1 and WireGuard require.
    /// </summary>
    public bool Agree(X25519PrivateKey privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret) =>
        Agree(BackendChoice.X25519, privateKey, peerPublicKey, sharedSecret);

    internal bool Agree(NativeBackend backend, X25519PrivateKey privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        if (privateKey.IsDisposed)
        {
            ThrowHelper.Disposed(privateKey);
        }

        if (peerPublicKey.Length != KeySize)
        {
            ThrowHelper.ArgumentLength(nameof(peerPublicKey), KeySize);
        }

        if (sharedSecret.Length != KeySize)
        {
            ThrowHelper.ArgumentLength(nameof(sharedSecret), KeySize);
        }

        bool ok = backend switch
        {
            NativeBackend.OpenSsl => OpenSslX25519.Agree(privateKey.GetEvpKey(), peerPublicKey, sharedSecret),
            NativeBackend.Sodium => privateKey.AgreeSodium(peerPublicKey, sharedSecret),
            _ => throw new PlatformNotSupportedException("X25519 needs OpenSSL 3 or libsodium."),
        };

        // Both libraries refuse an all-zero result already; checking here keeps the contract library-independent.
        if (!ok || IsAllZero(sharedSecret))
        {
            CryptographicOperations.ZeroMemory(sharedSecret);
            return false;
        }

        return true;
    }

    private static bool IsAllZero(ReadOnlySpan<byte> value)
    {
        int acc = 0;
        foreach (byte b in value)
        {
            acc |= b;
        }

        return acc == 0;
    }
}
