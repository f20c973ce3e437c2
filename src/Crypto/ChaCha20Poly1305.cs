using System.Buffers.Binary;
using System.Runtime.InteropServices;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439): 32-byte key, 12-byte nonce, 16-byte tag. Reach it as
/// <see cref="AeadAlgorithm.ChaCha20Poly1305"/>. The <c>counter</c> overloads build WireGuard's nonce
/// (four zero bytes, then the 64-bit counter little-endian) on the stack.
/// </summary>
public sealed class ChaCha20Poly1305 : AeadAlgorithm
{
    internal ChaCha20Poly1305()
        : base(nonceSize: 12)
    {
    }

    /// <inheritdoc/>
    public override bool IsSupported => BackendChoice.ChaCha20Poly1305 != NativeBackend.None;

    internal override bool ContextHoldsKey => true;

    /// <summary>Seals with WireGuard's nonce for <paramref name="counter"/>.</summary>
    public void Seal(AeadKey key, ulong counter, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag)
    {
        Span<byte> nonce = stackalloc byte[12];
        WriteWireGuardNonce(nonce, counter);
        Seal(key, nonce, plaintext, associatedData, ciphertextAndTag);
    }

    /// <summary>Seals in place (plaintext then 16 spare bytes) with WireGuard's nonce for <paramref name="counter"/>.</summary>
    public void Seal(AeadKey key, ulong counter, Span<byte> message, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> nonce = stackalloc byte[12];
        WriteWireGuardNonce(nonce, counter);
        Seal(key, nonce, message, associatedData);
    }

    /// <summary>Opens with WireGuard's nonce for <paramref name="counter"/>; false on authentication failure.</summary>
    public bool Open(AeadKey key, ulong counter, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        WriteWireGuardNonce(nonce, counter);
        return Open(key, nonce, ciphertextAndTag, associatedData, plaintext);
    }

    /// <summary>Opens in place with WireGuard's nonce for <paramref name="counter"/>; false on authentication failure.</summary>
    public bool Open(AeadKey key, ulong counter, Span<byte> message, ReadOnlySpan<byte> associatedData)
    {
        Span<byte> nonce = stackalloc byte[12];
        WriteWireGuardNonce(nonce, counter);
        return Open(key, nonce, message, associatedData);
    }

    /// <summary>Writes WireGuard's 12-byte nonce: 32 zero bits, then the counter little-endian.</summary>
    public static void WriteWireGuardNonce(Span<byte> nonce, ulong counter)
    {
        if (nonce.Length != 12)
        {
            ThrowHelper.ArgumentLength(nameof(nonce), 12);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }

    private protected override unsafe void SealCore(NativeBackend backend, AeadKey key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag)
    {
        if (backend == NativeBackend.OpenSsl)
        {
            CipherContextPool pool = key.ContextPool;
            SafeHandle context = pool.Rent(out int slot);
            OpenSslChaCha20Poly1305.Seal(context.DangerousGetHandle(), null, nonce, plaintext, length, ad, adLength, ciphertext, tag);
            pool.Return(context, slot);
        }
        else if (backend == NativeBackend.Avx512)
        {
            Avx512ChaCha20Poly1305.Seal(key.SecretPointer, nonce, plaintext, length, ad, adLength, ciphertext, tag);
        }
        else if (backend == NativeBackend.Sodium)
        {
            SodiumChaCha20Poly1305.Seal(key.SecretPointer, nonce, plaintext, length, ad, adLength, ciphertext, tag);
        }
        else
        {
            ThrowHelper.NotSupported(nameof(ChaCha20Poly1305));
        }
    }

    private protected override unsafe bool OpenCore(NativeBackend backend, AeadKey key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext)
    {
        if (backend == NativeBackend.OpenSsl)
        {
            CipherContextPool pool = key.ContextPool;
            SafeHandle context = pool.Rent(out int slot);
            bool ok = OpenSslChaCha20Poly1305.Open(context.DangerousGetHandle(), null, nonce, ciphertext, length, tag, ad, adLength, plaintext);
            pool.Return(context, slot);
            return ok;
        }

        if (backend == NativeBackend.Avx512)
        {
            return Avx512ChaCha20Poly1305.Open(key.SecretPointer, nonce, ciphertext, length, tag, ad, adLength, plaintext);
        }

        if (backend == NativeBackend.Sodium)
        {
            return SodiumChaCha20Poly1305.Open(key.SecretPointer, nonce, ciphertext, length, tag, ad, adLength, plaintext);
        }

        ThrowHelper.NotSupported(nameof(ChaCha20Poly1305));
        return false;
    }
}
