using System.Security.Cryptography;
using System.Runtime.InteropServices;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03): 32-byte key, 24-byte nonce, 16-byte tag; HChaCha20 derives a
/// subkey from the key and the first 16 nonce bytes, then ChaCha20-Poly1305 runs with nonce 0^4 || nonce[16..24].
/// HChaCha20 is managed code; the AEAD runs on the same native library as <see cref="ChaCha20Poly1305"/>.
/// Reach it as <see cref="AeadAlgorithm.XChaCha20Poly1305"/>.
/// </summary>
public sealed class XChaCha20Poly1305 : AeadAlgorithm
{
    internal XChaCha20Poly1305()
        : base(nonceSize: 24)
    {
    }

    /// <inheritdoc/>
    public override bool IsSupported => BackendChoice.ChaCha20Poly1305 != NativeBackend.None;

    internal override bool ContextHoldsKey => false;

    private protected override unsafe void SealCore(NativeBackend backend, AeadKey key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag)
    {
        byte* subkey = stackalloc byte[32];
        byte* innerNonce = stackalloc byte[12];
        Derive(key, nonce, subkey, innerNonce);
        try
        {
            if (backend == NativeBackend.OpenSsl)
            {
                CipherContextPool pool = key.ContextPool;
                SafeHandle context = pool.Rent(out int slot);
                OpenSslChaCha20Poly1305.Seal(context.DangerousGetHandle(), subkey, innerNonce, plaintext, length, ad, adLength, ciphertext, tag);
                pool.Return(context, slot);
            }
            else if (backend == NativeBackend.Sodium)
            {
                SodiumChaCha20Poly1305.Seal(subkey, innerNonce, plaintext, length, ad, adLength, ciphertext, tag);
            }
            else
            {
                ThrowHelper.NotSupported(nameof(XChaCha20Poly1305));
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(new Span<byte>(subkey, 32));
        }
    }

    private protected override unsafe bool OpenCore(NativeBackend backend, AeadKey key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext)
    {
        byte* subkey = stackalloc byte[32];
        byte* innerNonce = stackalloc byte[12];
        Derive(key, nonce, subkey, innerNonce);
        try
        {
            if (backend == NativeBackend.OpenSsl)
            {
                CipherContextPool pool = key.ContextPool;
                SafeHandle context = pool.Rent(out int slot);
                bool ok = OpenSslChaCha20Poly1305.Open(context.DangerousGetHandle(), subkey, innerNonce, ciphertext, length, tag, ad, adLength, plaintext);
                pool.Return(context, slot);
                return ok;
            }

            if (backend == NativeBackend.Sodium)
            {
                return SodiumChaCha20Poly1305.Open(subkey, innerNonce, ciphertext, length, tag, ad, adLength, plaintext);
            }

            ThrowHelper.NotSupported(nameof(XChaCha20Poly1305));
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(new Span<byte>(subkey, 32));
        }
    }

    private static unsafe void Derive(AeadKey key, byte* nonce, byte* subkey, byte* innerNonce)
    {
        HChaCha20.DeriveSubkey(key.Secret, new ReadOnlySpan<byte>(nonce, 16), new Span<byte>(subkey, 32));
        *(uint*)innerNonce = 0;
        *(ulong*)(innerNonce + 4) = *(ulong*)(nonce + 16);
    }
}
