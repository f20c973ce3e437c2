using System.Numerics;
using System.Runtime.InteropServices;

namespace RouterHost.Crypto.Internal;

/// <summary>
/// The OpenSSL cipher contexts of one key (provider contexts when <see cref="OpenSslChaCha20Poly1305.UsesProvider"/>, else
/// <c>EVP_CIPHER_CTX</c>s). A context is not thread-safe, a key is shared by every thread
/// that sends to (or receives from) a peer; so each call rents a context for its own exclusive use and
/// returns it. Slots are per processor, each on its own cache line, so threads on different cores never
/// contend; in steady state a rent and a return are one interlocked exchange each and allocate nothing.
/// Contexts carry a copy of the key inside OpenSSL; disposing the pool frees them (OpenSSL clears them on free).
/// </summary>
internal sealed unsafe class CipherContextPool : IDisposable
{
    private const int Stride = 8; // 8 references = 64 bytes: one slot per cache line.

    private readonly SafeHandle?[] _slots;
    private readonly int _slotMask;
    private readonly SafeEvpCipherHandle _cipher;
    private readonly byte[]? _key;
    private volatile bool _disposed;

    /// <param name="cipher">The fetched cipher.</param>
    /// <param name="key">Pinned key set once per context; null when every call supplies its own key.</param>
    internal CipherContextPool(SafeEvpCipherHandle cipher, byte[]? key)
    {
        _cipher = cipher;
        _key = key;
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, Environment.ProcessorCount));
        _slotMask = slots - 1;
        _slots = new SafeHandle?[slots * Stride];
    }

    /// <summary>Takes a context for exclusive use until <see cref="Return"/>.</summary>
    internal SafeHandle Rent(out int slot)
    {
        slot = (Thread.GetCurrentProcessorId() & _slotMask) * Stride;
        return Interlocked.Exchange(ref _slots[slot], null) ?? Create();
    }

    internal void Return(SafeHandle context, int slot)
    {
        if (Interlocked.CompareExchange(ref _slots[slot], context, null) != null)
        {
            context.Dispose(); // another thread on this core returned first: rare, keep one.
            return;
        }

        if (_disposed)
        {
            Interlocked.Exchange(ref _slots[slot], null)?.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        for (int i = 0; i < _slots.Length; i += Stride)
        {
            Interlocked.Exchange(ref _slots[i], null)?.Dispose();
        }
    }

    private SafeHandle Create()
    {
        byte* key = _key is null ? null : SecretBuffer.Pointer(_key);
        if (OpenSslChaCha20Poly1305.UsesProvider)
        {
            IntPtr created = ProviderChaCha20Poly1305.NewContext(key);
            if (created == IntPtr.Zero)
            {
                ThrowHelper.Native("OSSL_FUNC_cipher_newctx");
            }

            return new SafeProviderCipherCtxHandle(created);
        }

        SafeEvpCipherCtxHandle context = Interop.Crypto.EVP_CIPHER_CTX_new();
        if (context.IsInvalid)
        {
            context.Dispose();
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CIPHER_CTX_new));
        }

        if (Interop.Crypto.EVP_CipherInit_ex(context, _cipher, IntPtr.Zero, key, null, 1) != 1)
        {
            context.Dispose();
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherInit_ex));
        }

        return context;
    }
}
