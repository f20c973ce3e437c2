using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// An X25519 private key and its public key. The scalar lives in a pinned array wiped on dispose (or by the
/// finalizer); it leaves only through <see cref="ExportPrivateKey"/>. When OpenSSL carries X25519, the key also
/// owns an <c>EVP_PKEY</c> (freed, and cleared by OpenSSL, on dispose). Thread-safe.
/// </summary>
public sealed class X25519PrivateKey : IDisposable
{
    private readonly byte[] _secret;
    private readonly byte[] _publicKey = new byte[X25519.KeySize];
    private SafeEvpPkeyHandle? _evpKey;
    private volatile bool _disposed;

    internal X25519PrivateKey(NativeBackend backend, ReadOnlySpan<byte> scalar)
    {
        _secret = SecretBuffer.Allocate(X25519.KeySize);
        scalar.CopyTo(_secret);
        switch (backend)
        {
            case NativeBackend.OpenSsl:
                OpenSslX25519.GetPublicKey(GetEvpKey(), _publicKey);
                break;
            case NativeBackend.Sodium:
                SodiumX25519.GetPublicKey(_secret, _publicKey);
                break;
            default:
                CryptographicOperations.ZeroMemory(_secret);
                throw new PlatformNotSupportedException("X25519 needs OpenSSL 3 or libsodium.");
        }
    }

    /// <summary>Wipes the scalar if the key was never disposed.</summary>
    ~X25519PrivateKey()
    {
        CryptographicOperations.ZeroMemory(_secret);
    }

    /// <summary>The algorithm (always <see cref="KeyAgreementAlgorithm.X25519"/>).</summary>
    public X25519 Algorithm => KeyAgreementAlgorithm.X25519;

    /// <summary>The 32-byte public key (not secret).</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _disposed;

    internal ReadOnlySpan<byte> Secret => _secret;

    /// <summary>The pinned scalar array itself, for tests that prove it is wiped.</summary>
    internal byte[] SecretStorage => _secret;

    /// <summary>Copies the private scalar out: the only way it leaves this object.</summary>
    public void ExportPrivateKey(Span<byte> destination)
    {
        if (_disposed)
        {
            ThrowHelper.Disposed(this);
        }

        if (destination.Length != X25519.KeySize)
        {
            ThrowHelper.ArgumentLength(nameof(destination), X25519.KeySize);
        }

        _secret.CopyTo(destination);
    }

    /// <summary>Wipes the scalar and frees the native key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Interlocked.Exchange(ref _evpKey, null)?.Dispose();
        CryptographicOperations.ZeroMemory(_secret);
        GC.SuppressFinalize(this);
    }

    internal SafeEvpPkeyHandle GetEvpKey()
    {
        SafeEvpPkeyHandle? key = _evpKey;
        if (key is not null)
        {
            return key;
        }

        key = OpenSslX25519.ImportPrivateKey(_secret);
        SafeEvpPkeyHandle? existing = Interlocked.CompareExchange(ref _evpKey, key, null);
        if (existing is not null)
        {
            key.Dispose();
            return existing;
        }

        return key;
    }
}
