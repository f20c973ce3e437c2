using System.Security.Cryptography;
using System.Runtime.InteropServices;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03): 32-byte key, 24-byte nonce, 16-byte tag; HChaCha20 derives a
/// subkey from the key and the first 16 nonce bytes, then ChaCha20-Poly1305 runs with nonce 0^4 || nonce[16..24].
/// It runs on the same native library as <see cref="ChaCha20Poly1305"/> for the message length: libsodium 1.0.22 in one
/// call (<c>crypto_aead_xchacha20poly1305_ietf_*_detached</c>, HChaCha20 included; cookies are 16 bytes), or managed
/// HChaCha20 then OpenSSL. NSec's own XChaCha20-Poly1305 would need an NSec <c>Key</c> per cookie key, i.e. a
/// <c>sodium_malloc</c> block (four mappings) per peer: measured no faster, so the key stays an <see cref="AeadKey"/>.
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
        if (backend == NativeBackend.Sodium)
        {
            SodiumXChaCha20Poly1305.Seal(key.SecretPointer, nonce, plaintext, length, ad, adLength, ciphertext, tag);
            return;
        }

        byte* subkey = stackalloc byte[32];
        byte* innerNonce = stackalloc byte[12];
        Derive(key, nonce, subkey, innerNonce);
        try
        {
            if (backend == NativeBackend.Avx512)
            {
                Avx512ChaCha20Poly1305.Seal(subkey, innerNonce, plaintext, length, ad, adLength, ciphertext, tag);
            }
            else if (backend == NativeBackend.OpenSsl)
            {
                CipherContextPool pool = key.ContextPool;
                SafeHandle context = pool.Rent(out int slot);
                OpenSslChaCha20Poly1305.Seal(context.DangerousGetHandle(), subkey, innerNonce, plaintext, length, ad, adLength, ciphertext, tag);
                pool.Return(context, slot);
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
        if (backend == NativeBackend.Sodium)
        {
            return SodiumXChaCha20Poly1305.Open(key.SecretPointer, nonce, ciphertext, length, tag, ad, adLength, plaintext);
        }

        byte* subkey = stackalloc byte[32];
        byte* innerNonce = stackalloc byte[12];
        Derive(key, nonce, subkey, innerNonce);
        try
        {
            if (backend == NativeBackend.Avx512)
            {
                return Avx512ChaCha20Poly1305.Open(subkey, innerNonce, ciphertext, length, tag, ad, adLength, plaintext);
            }

            if (backend == NativeBackend.OpenSsl)
            {
                CipherContextPool pool = key.ContextPool;
                SafeHandle context = pool.Rent(out int slot);
                bool ok = OpenSslChaCha20Poly1305.Open(context.DangerousGetHandle(), subkey, innerNonce, ciphertext, length, tag, ad, adLength, plaintext);
                pool.Return(context, slot);
                return ok;
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
