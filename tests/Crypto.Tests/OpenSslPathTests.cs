using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto.Tests;

/// <summary>
/// OpenSSL's ChaCha20-Poly1305 is called through its provider's functions when they are found and agree with EVP; the
/// EVP path stays as the fallback. Both are checked against RFC 8439 §2.8.2 here, whichever one the process uses.
/// </summary>
public sealed unsafe class OpenSslPathTests
{
    private static readonly byte[] Key = ChaCha20Poly1305Tests.SunscreenKey;
    private static readonly byte[] Nonce = ChaCha20Poly1305Tests.SunscreenNonce;
    private static readonly byte[] Ad = ChaCha20Poly1305Tests.SunscreenAd;
    private static readonly byte[] Plaintext = ChaCha20Poly1305Tests.SunscreenPlaintext;
    private static readonly byte[] Sealed = ChaCha20Poly1305Tests.SunscreenSealed;

    [Fact]
    public void On_OpenSSL_3_the_provider_functions_are_found_and_agree_with_EVP()
    {
        Assert.SkipUnless(OpenSslChaCha20Poly1305.IsSupported, "OpenSSL 3 with ChaCha20-Poly1305 is not installed");
        Assert.True(ProviderChaCha20Poly1305.IsAvailable, ProviderChaCha20Poly1305.UnavailableReason);
        Assert.Equal("provider", CryptoLibrary.OpenSslAeadPath);
        Assert.Null(ProviderChaCha20Poly1305.UnavailableReason);
        Assert.Contains("OpenSSL called through its provider's functions", CryptoLibrary.AeadDescription, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(false, false)]
    public void Each_path_seals_and_opens_the_RFC_8439_vector_with_the_key_held_or_given(bool provider, bool keyHeld)
    {
        Assert.SkipUnless(OpenSslChaCha20Poly1305.IsSupported, "OpenSSL 3 with ChaCha20-Poly1305 is not installed");
        Assert.SkipUnless(!provider || ProviderChaCha20Poly1305.IsAvailable, "the provider functions are not available here");
        byte[] output = new byte[Plaintext.Length + 16];
        byte[] opened = new byte[Plaintext.Length];
        Path path = new(provider, keyHeld ? Key : null);
        try
        {
            fixed (byte* k = Key)
            fixed (byte* n = Nonce)
            fixed (byte* a = Ad)
            fixed (byte* p = Plaintext)
            fixed (byte* o = output)
            fixed (byte* q = opened)
            {
                byte* given = keyHeld ? null : k;
                path.Seal(given, n, p, Plaintext.Length, a, Ad.Length, o, o + Plaintext.Length);
                Assert.Equal(Sealed, output);
                Assert.True(path.Open(given, n, o, Plaintext.Length, o + Plaintext.Length, a, Ad.Length, q));
                Assert.Equal(Plaintext, opened);

                output[^1] ^= 0x80;
                Assert.False(path.Open(given, n, o, Plaintext.Length, o + Plaintext.Length, a, Ad.Length, q));
                Assert.All(opened, b => Assert.Equal(0, b));
                output[^1] ^= 0x80;

                // The context is reused after a refusal, as the pool reuses it.
                Assert.True(path.Open(given, n, o, Plaintext.Length, o + Plaintext.Length, a, Ad.Length, q));
                Assert.Equal(Plaintext, opened);
            }
        }
        finally
        {
            path.Dispose();
        }
    }

    /// <summary>One context of one path, made as the key pool makes it.</summary>
    private sealed class Path : IDisposable
    {
        private readonly bool _provider;
        private readonly IntPtr _provided;
        private readonly Microsoft.Win32.SafeHandles.SafeEvpCipherCtxHandle? _evp;

        public Path(bool provider, byte[]? key)
        {
            _provider = provider;
            fixed (byte* k = key)
            {
                if (provider)
                {
                    _provided = ProviderChaCha20Poly1305.NewContext(k);
                    Assert.NotEqual(IntPtr.Zero, _provided);
                }
                else
                {
                    _evp = Interop.Crypto.EVP_CIPHER_CTX_new();
                    Assert.Equal(1, Interop.Crypto.EVP_CipherInit_ex(_evp, OpenSslChaCha20Poly1305.Cipher, IntPtr.Zero, k, null, 1));
                }
            }
        }

        public void Seal(byte* key, byte* nonce, byte* plaintext, int length, byte* ad, int adLength, byte* ciphertext, byte* tag)
        {
            if (_provider)
            {
                ProviderChaCha20Poly1305.Seal(_provided, key, nonce, plaintext, length, ad, adLength, ciphertext, tag);
            }
            else
            {
                OpenSslChaCha20Poly1305.SealEvp(_evp!.DangerousGetHandle(), key, nonce, plaintext, length, ad, adLength, ciphertext, tag);
            }
        }

        public bool Open(byte* key, byte* nonce, byte* ciphertext, int length, byte* tag, byte* ad, int adLength, byte* plaintext) =>
            _provider
                ? ProviderChaCha20Poly1305.Open(_provided, key, nonce, ciphertext, length, tag, ad, adLength, plaintext)
                : OpenSslChaCha20Poly1305.OpenEvp(_evp!.DangerousGetHandle(), key, nonce, ciphertext, length, tag, ad, adLength, plaintext);

        public void Dispose()
        {
            if (_provided != IntPtr.Zero)
            {
                ProviderChaCha20Poly1305.FreeContext(_provided);
            }

            _evp?.Dispose();
        }
    }
}
