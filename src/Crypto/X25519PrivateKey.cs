using System.Runtime.InteropServices;
using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// An X25519 private key and its public key. An imported key (a long-lived identity) keeps its scalar in libsodium's
/// guarded memory (<c>sodium_malloc</c>: own pages, guard pages around them, kept out of swap where the limit allows,
/// wiped and unmapped by <c>sodium_free</c> on dispose or finalization); a generated key (a handshake's ephemeral,
/// created and dropped per handshake) and any key when libsodium is absent keep it in a pinned array wiped on dispose
/// (or by the finalizer). The scalar leaves only through <see cref="ExportPrivateKey"/>. When OpenSSL carries X25519,
/// the key also owns an <c>EVP_PKEY</c> (freed, and cleared by OpenSSL, on dispose). Thread-safe.
/// </summary>
public sealed class X25519PrivateKey : IDisposable
{
    private readonly byte[]? _secret;
    private readonly SafeSodiumSecureMemoryHandle? _guarded;
    private readonly byte[] _publicKey = new byte[X25519.KeySize];
    private SafeEvpPkeyHandle? _evpKey;
    private volatile bool _disposed;

    internal X25519PrivateKey(NativeBackend backend, ReadOnlySpan<byte> scalar, bool guarded = false)
    {
        if (guarded && SodiumLibrary.IsSupported)
        {
            _guarded = SafeSodiumSecureMemoryHandle.Allocate(X25519.KeySize);
        }

        if (_guarded is null)
        {
            _secret = SecretBuffer.Allocate(X25519.KeySize);
        }

        scalar.CopyTo(WritableSecret);
        switch (backend)
        {
            case NativeBackend.OpenSsl:
                OpenSslX25519.GetPublicKey(GetEvpKey(), _publicKey);
                break;
            case NativeBackend.Sodium:
                SodiumX25519.GetPublicKey(Secret, _publicKey);
                break;
            default:
                Wipe();
                throw new PlatformNotSupportedException("X25519 needs OpenSSL 3 or libsodium.");
        }
    }

    /// <summary>Wipes the scalar if the key was never disposed (guarded memory wipes itself when its handle is finalized).</summary>
    ~X25519PrivateKey()
    {
        if (_secret is not null)
        {
            CryptographicOperations.ZeroMemory(_secret);
        }
    }

    /// <summary>The algorithm (always <see cref="KeyAgreementAlgorithm.X25519"/>).</summary>
    public X25519 Algorithm => KeyAgreementAlgorithm.X25519;

    /// <summary>The 32-byte public key (not secret).</summary>
    public ReadOnlySpan<byte> PublicKey => _publicKey;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _disposed;

    internal ReadOnlySpan<byte> Secret => WritableSecret;

    /// <summary>The pinned scalar array itself (null when the scalar is in guarded memory), for tests that prove it is wiped.</summary>
    internal byte[]? SecretStorage => _secret;

    /// <summary>The guarded memory block holding the scalar, or null; for tests that prove it is freed.</summary>
    internal SafeHandle? GuardedStorage => _guarded;

    private unsafe Span<byte> WritableSecret =>
        _guarded is not null ? new Span<byte>((void*)_guarded.DangerousGetHandle(), X25519.KeySize) : _secret;

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

        bool added = false;
        try
        {
            _guarded?.DangerousAddRef(ref added);
            Secret.CopyTo(destination);
        }
        finally
        {
            if (added)
            {
                _guarded!.DangerousRelease();
            }
        }
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
        Wipe();
        GC.SuppressFinalize(this);
    }

    internal SafeEvpPkeyHandle GetEvpKey()
    {
        SafeEvpPkeyHandle? key = _evpKey;
        if (key is not null)
        {
            return key;
        }

        key = OpenSslX25519.ImportPrivateKey(Secret);
        SafeEvpPkeyHandle? existing = Interlocked.CompareExchange(ref _evpKey, key, null);
        if (existing is not null)
        {
            key.Dispose();
            return existing;
        }

        return key;
    }

    /// <summary>
    /// The libsodium scalar multiplication with this key, holding a reference on the guarded block for the call so a
    /// racing <see cref="Dispose"/> cannot unmap it underneath (it is freed when the call returns).
    /// </summary>
    internal bool AgreeSodium(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        if (_guarded is null)
        {
            return SodiumX25519.Agree(_secret, peerPublicKey, sharedSecret);
        }

        bool added = false;
        try
        {
            _guarded.DangerousAddRef(ref added);
            return SodiumX25519.Agree(WritableSecret, peerPublicKey, sharedSecret);
        }
        finally
        {
            if (added)
            {
                _guarded.DangerousRelease();
            }
        }
    }

    private void Wipe()
    {
        if (_secret is not null)
        {
            CryptographicOperations.ZeroMemory(_secret);
        }

        _guarded?.Dispose(); // sodium_free wipes before unmapping
    }
}
