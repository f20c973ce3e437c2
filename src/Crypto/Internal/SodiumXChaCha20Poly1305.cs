namespace RouterHost.Crypto.Internal;

/// <summary>
/// XChaCha20-Poly1305 through libsodium's IETF detached API, HChaCha20 included in the one call. Stateless and
/// thread-safe; arguments are valid.
/// </summary>
internal static unsafe class SodiumXChaCha20Poly1305
{
    internal static void Seal(byte* key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag)
    {
        ulong tagLength;
        if (Interop.Sodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
                ciphertext, tag, &tagLength, plaintext, (ulong)length, ad, (ulong)adLength, null, nonce, key) != 0)
        {
            ThrowHelper.Native(nameof(Interop.Sodium.crypto_aead_xchacha20poly1305_ietf_encrypt_detached));
        }
    }

    internal static bool Open(byte* key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext)
    {
        // libsodium verifies before it decrypts, so on failure nothing was written.
        if (Interop.Sodium.crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
                plaintext, null, ciphertext, (ulong)length, tag, ad, (ulong)adLength, nonce, key) == 0)
        {
            return true;
        }

        new Span<byte>(plaintext, length).Clear();
        return false;
    }
}
