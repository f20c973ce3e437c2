using System.Security.Cryptography;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// A symmetric key of one <see cref="AeadAlgorithm"/>. The key bytes live in a pinned array that the GC never
/// copies and that <see cref="Dispose"/> (or, failing that, the finalizer) wipes; they leave only through
/// <see cref="Export"/>. A key is safe to use from many threads at once: OpenSSL contexts are rented per call
/// from a per-processor pool owned by the key, and freed (OpenSSL clears them) on dispose. Disposing a key while
/// another thread is using it is a caller bug; it cannot corrupt memory, but that call's output is undefined.
/// </summary>
public sealed class AeadKey : IDisposable
{
    private readonly byte[] _secret;
    private CipherContextPool? _contextPool;
    private volatile bool _disposed;

    internal AeadKey(AeadAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        Algorithm = algorithm;
        _secret = SecretBuffer.Allocate(key.Length);
        key.CopyTo(_secret);
    }

    /// <summary>Wipes the key bytes if the key was never disposed.</summary>
    ~AeadKey()
    {
        CryptographicOperations.ZeroMemory(_secret);
    }

    /// <summary>The algorithm this key belongs to.</summary>
    public AeadAlgorithm Algorithm { get; }

    /// <summary>Key size in bytes.</summary>
    public int Size => _secret.Length;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _disposed;

    internal ReadOnlySpan<byte> Secret => _secret;

    /// <summary>The pinned key array itself, for tests that prove it is wiped.</summary>
    internal byte[] SecretStorage => _secret;

    internal unsafe byte* SecretPointer => SecretBuffer.Pointer(_secret);

    internal CipherContextPool ContextPool => _contextPool ?? CreateContextPool();

    /// <summary>Copies the key bytes out: the only way key material leaves this object.</summary>
    public void Export(Span<byte> destination)
    {
        if (_disposed)
        {
            ThrowHelper.Disposed(this);
        }

        if (destination.Length != _secret.Length)
        {
            ThrowHelper.ArgumentLength(nameof(destination), _secret.Length);
        }

        _secret.CopyTo(destination);
    }

    /// <summary>Wipes the key bytes and frees the native contexts that hold copies of them.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _contextPool?.Dispose();
        CryptographicOperations.ZeroMemory(_secret);
        GC.SuppressFinalize(this);
    }

    private CipherContextPool CreateContextPool()
    {
        CipherContextPool pool = new(OpenSslChaCha20Poly1305.Cipher, Algorithm.ContextHoldsKey ? _secret : null);
        CipherContextPool? existing = Interlocked.CompareExchange(ref _contextPool, pool, null);
        if (existing is not null)
        {
            pool.Dispose();
            return existing;
        }

        if (_disposed)
        {
            pool.Dispose();
        }

        return pool;
    }
}
