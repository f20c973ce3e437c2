namespace RouterHost.Crypto.Internal;

/// <summary>
/// ChaCha20-Poly1305 (RFC 8439) from OpenSSL: through the implementing provider's own functions when
/// <see cref="ProviderChaCha20Poly1305"/> is available (the contexts are then provider contexts), else through EVP.
/// Core methods: arguments are valid.
/// </summary>
internal static unsafe class OpenSslChaCha20Poly1305
{
    private static readonly SafeEvpCipherHandle? s_cipher = Fetch();

    internal static bool IsSupported => s_cipher is not null;

    internal static SafeEvpCipherHandle Cipher => s_cipher ?? throw new PlatformNotSupportedException("OpenSSL ChaCha20-Poly1305 is not available.");

    /// <summary>Whether contexts are provider contexts (read once; the JIT folds it).</summary>
    internal static readonly bool UsesProvider = IsSupported && ProviderChaCha20Poly1305.IsAvailable;

    /// <summary>Encrypts <paramref name="length"/> bytes; <paramref name="key"/> null means the context already holds it.</summary>
    internal static void Seal(IntPtr context, byte* key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag)
    {
        if (UsesProvider)
        {
            ProviderChaCha20Poly1305.Seal(context, key, nonce, plaintext, length, ad, adLength, ciphertext, tag);
        }
        else
        {
            SealEvp(context, key, nonce, plaintext, length, ad, adLength, ciphertext, tag);
        }
    }

    /// <summary>Decrypts and verifies; false when the tag does not match (the plaintext is then cleared).</summary>
    internal static bool Open(IntPtr context, byte* key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext) =>
        UsesProvider
            ? ProviderChaCha20Poly1305.Open(context, key, nonce, ciphertext, length, tag, ad, adLength, plaintext)
            : OpenEvp(context, key, nonce, ciphertext, length, tag, ad, adLength, plaintext);

    /// <summary><see cref="Seal"/> on an <c>EVP_CIPHER_CTX</c>.</summary>
    internal static void SealEvp(IntPtr context, byte* key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag)
    {
        int written;
        if (Interop.Crypto.EVP_CipherInit_ex(context, IntPtr.Zero, IntPtr.Zero, key, nonce, 1) != 1)
        {
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherInit_ex));
        }

        // Empty updates are skipped: a null input tells OpenSSL's ChaCha20-Poly1305 to finalise.
        if (adLength > 0 && Interop.Crypto.EVP_CipherUpdate(context, null, &written, ad, adLength) != 1)
        {
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherUpdate));
        }

        if (length > 0 && Update(context, ciphertext, &written, plaintext, length) != 1)
        {
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherUpdate));
        }

        byte none;
        if (Interop.Crypto.EVP_CipherFinal_ex(context, &none, &written) != 1 ||
            Interop.Crypto.EVP_CIPHER_CTX_ctrl(context, Interop.Crypto.EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1)
        {
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherFinal_ex));
        }
    }

    /// <summary><see cref="Open"/> on an <c>EVP_CIPHER_CTX</c>.</summary>
    internal static bool OpenEvp(IntPtr context, byte* key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext)
    {
        int written;
        if (Interop.Crypto.EVP_CipherInit_ex(context, IntPtr.Zero, IntPtr.Zero, key, nonce, 0) != 1 ||
            Interop.Crypto.EVP_CIPHER_CTX_ctrl(context, Interop.Crypto.EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1)
        {
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherInit_ex));
        }

        if (adLength > 0 && Interop.Crypto.EVP_CipherUpdate(context, null, &written, ad, adLength) != 1)
        {
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherUpdate));
        }

        if (length > 0 && Update(context, plaintext, &written, ciphertext, length) != 1)
        {
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_CipherUpdate));
        }

        byte none;
        if (Interop.Crypto.EVP_CipherFinal_ex(context, &none, &written) == 1)
        {
            return true;
        }

        // OpenSSL decrypts before it verifies: never hand out unauthenticated plaintext.
        new Span<byte>(plaintext, length).Clear();
        return false;
    }

    private static int Update(IntPtr context, byte* output, int* written, byte* input, int length) =>
        length <= Interop.Crypto.ShortUpdateBytes
            ? Interop.Crypto.EVP_CipherUpdate_Short(context, output, written, input, length)
            : Interop.Crypto.EVP_CipherUpdate(context, output, written, input, length);

    private static SafeEvpCipherHandle? Fetch()
    {
        if (!OpenSslLibrary.IsSupported)
        {
            return null;
        }

        SafeEvpCipherHandle cipher = Interop.Crypto.EVP_CIPHER_fetch(IntPtr.Zero, "ChaCha20-Poly1305", null);
        if (cipher.IsInvalid)
        {
            cipher.Dispose();
            Interop.Crypto.ERR_clear_error();
            return null;
        }

        return cipher;
    }
}
