using System.Text;
using RouterHost.Crypto.Internal;
using static RouterHost.Crypto.Tests.Backends;

namespace RouterHost.Crypto.Tests;

public sealed class ChaCha20Poly1305Tests
{
    private static readonly ChaCha20Poly1305 Algorithm = AeadAlgorithm.ChaCha20Poly1305;

    // RFC 8439 §2.8.2.
    internal static readonly byte[] SunscreenKey = Hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    internal static readonly byte[] SunscreenNonce = Hex("070000004041424344454647");
    internal static readonly byte[] SunscreenAd = Hex("50515253c0c1c2c3c4c5c6c7");
    internal static readonly byte[] SunscreenPlaintext = Encoding.ASCII.GetBytes(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
    internal static readonly byte[] SunscreenSealed = Hex(
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
        "3ff4def08e4b7a9de576d26586cec64b6116" +
        "1ae10b594f09e26a7e902ecbd0600691");

    // RFC 8439 appendix A.5.
    private static readonly byte[] DraftsKey = Hex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0");
    private static readonly byte[] DraftsNonce = Hex("000000000102030405060708");
    private static readonly byte[] DraftsAd = Hex("f33388860000000000004e91");
    private static readonly byte[] DraftsSealed = Hex(
        "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2" +
        "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf" +
        "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
        "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4" +
        "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e" +
        "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
        "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10" +
        "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29" +
        "a6ad5cb4022b02709beead9d67890cbb22392336fea1851f38");
    private static readonly byte[] DraftsPlaintext = Hex(
        "496e7465726e65742d4472616674732061726520647261667420646f63756d65" +
        "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d" +
        "6f6e74687320616e64206d617920626520757064617465642c207265706c6163" +
        "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65" +
        "6e747320617420616e792074696d652e20497420697320696e617070726f7072" +
        "6961746520746f2075736520496e7465726e65742d4472616674732061732072" +
        "65666572656e6365206d6174657269616c206f7220746f206369746520746865" +
        "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67" +
        "726573732e2fe2809d");

    private static readonly AeadVector Sunscreen = new(Algorithm, SunscreenKey, SunscreenNonce, SunscreenAd, SunscreenPlaintext, SunscreenSealed);
    private static readonly AeadVector Drafts = new(Algorithm, DraftsKey, DraftsNonce, DraftsAd, DraftsPlaintext, DraftsSealed);

    [Theory]
    [InlineData("OpenSsl")]
    [InlineData("Sodium")]
    [InlineData("Avx512")]
    public void Seal_matches_RFC8439_section_2_8_2(string backendName) => Sunscreen.AssertSeals(Parse(backendName));

    [Theory]
    [InlineData("OpenSsl")]
    [InlineData("Sodium")]
    [InlineData("Avx512")]
    public void Open_matches_RFC8439_section_2_8_2(string backendName) => Sunscreen.AssertOpens(Parse(backendName));

    [Theory]
    [InlineData("OpenSsl")]
    [InlineData("Sodium")]
    [InlineData("Avx512")]
    public void Open_decrypts_RFC8439_appendix_A5(string backendName)
    {
        NativeBackend backend = Parse(backendName);
        Drafts.AssertOpens(backend);
        Drafts.AssertSeals(backend);
    }

    [Fact]
    public void Default_backend_seals_and_opens_in_place()
    {
        using AeadKey key = Algorithm.ImportKey(SunscreenKey);
        byte[] message = new byte[SunscreenPlaintext.Length + 16];
        SunscreenPlaintext.CopyTo(message, 0);
        Algorithm.Seal(key, SunscreenNonce, message, SunscreenAd);
        Assert.Equal(SunscreenSealed, message);

        Assert.True(Algorithm.Open(key, SunscreenNonce, message, SunscreenAd));
        Assert.Equal(SunscreenPlaintext, message[..^16]);
    }

    [Fact]
    public void Counter_overloads_use_the_WireGuard_nonce_layout()
    {
        using AeadKey key = Algorithm.ImportKey(SunscreenKey);
        const ulong counter = 0x0102030405060708UL;
        byte[] nonce = Hex("000000000807060504030201");
        byte[] expected = new byte[SunscreenPlaintext.Length + 16];
        Algorithm.Seal(key, nonce, SunscreenPlaintext, SunscreenAd, expected);

        byte[] actual = new byte[expected.Length];
        Algorithm.Seal(key, counter, SunscreenPlaintext, SunscreenAd, actual);
        Assert.Equal(expected, actual);

        byte[] plaintext = new byte[SunscreenPlaintext.Length];
        Assert.True(Algorithm.Open(key, counter, actual, SunscreenAd, plaintext));
        Assert.Equal(SunscreenPlaintext, plaintext);
        Assert.False(Algorithm.Open(key, counter + 1, actual, SunscreenAd, plaintext));
    }

    [Theory]
    [InlineData("OpenSsl", 0)]
    [InlineData("OpenSsl", 57)]
    [InlineData("OpenSsl", 113)]
    [InlineData("Sodium", 0)]
    [InlineData("Sodium", 57)]
    [InlineData("Sodium", 113)]
    [InlineData("Avx512", 0)]
    [InlineData("Avx512", 57)]
    [InlineData("Avx512", 113)]
    public void Open_returns_false_and_clears_output_when_a_ciphertext_byte_flips(string backendName, int index)
    {
        byte[] plaintext = new byte[SunscreenPlaintext.Length];
        plaintext.AsSpan().Fill(0xAA);
        Assert.False(Sunscreen.OpensFlipped(Parse(backendName), index, 0x01, plaintext));
        Assert.All(plaintext, b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("OpenSsl", 0)]
    [InlineData("OpenSsl", 15)]
    [InlineData("Sodium", 0)]
    [InlineData("Sodium", 15)]
    [InlineData("Avx512", 0)]
    [InlineData("Avx512", 15)]
    public void Open_returns_false_when_a_tag_byte_flips(string backendName, int tagIndex)
    {
        Assert.False(Sunscreen.OpensFlipped(Parse(backendName), SunscreenPlaintext.Length + tagIndex, 0x80, new byte[SunscreenPlaintext.Length]));
    }

    [Theory]
    [InlineData("OpenSsl")]
    [InlineData("Sodium")]
    [InlineData("Avx512")]
    public void Open_returns_false_when_the_associated_data_differs(string backendName)
    {
        NativeBackend backend = Parse(backendName);
        using AeadKey key = Algorithm.ImportKey(SunscreenKey);
        byte[] ad = (byte[])SunscreenAd.Clone();
        ad[^1] ^= 0x01;
        byte[] plaintext = new byte[SunscreenPlaintext.Length];
        Assert.False(Algorithm.Open(backend, key, SunscreenNonce, SunscreenSealed, ad, plaintext));
        Assert.False(Algorithm.Open(backend, key, SunscreenNonce, SunscreenSealed, ReadOnlySpan<byte>.Empty, plaintext));
    }

    [Theory]
    [InlineData("OpenSsl")]
    [InlineData("Sodium")]
    [InlineData("Avx512")]
    public void Open_returns_false_under_a_different_key_or_nonce(string backendName)
    {
        NativeBackend backend = Parse(backendName);
        using AeadKey other = Algorithm.ImportKey(DraftsKey);
        using AeadKey key = Algorithm.ImportKey(SunscreenKey);
        byte[] plaintext = new byte[SunscreenPlaintext.Length];
        Assert.False(Algorithm.Open(backend, other, SunscreenNonce, SunscreenSealed, SunscreenAd, plaintext));
        Assert.False(Algorithm.Open(backend, key, DraftsNonce, SunscreenSealed, SunscreenAd, plaintext));
    }

    [Fact]
    public void Open_returns_false_for_input_shorter_than_a_tag()
    {
        using AeadKey key = Algorithm.ImportKey(SunscreenKey);
        Assert.False(Algorithm.Open(key, SunscreenNonce, new byte[15], SunscreenAd, Span<byte>.Empty));
        Assert.False(Algorithm.Open(key, SunscreenNonce, new byte[15].AsSpan(), SunscreenAd));
        Assert.False(Algorithm.Open(key, SunscreenNonce, Span<byte>.Empty, SunscreenAd));
    }

    [Fact]
    public void Empty_plaintext_and_empty_ad_round_trip_to_a_bare_tag()
    {
        using AeadKey key = Algorithm.GenerateKey();
        byte[] tagOnly = new byte[16];
        Algorithm.Seal(key, SunscreenNonce, ReadOnlySpan<byte>.Empty, ReadOnlySpan<byte>.Empty, tagOnly);
        Assert.True(Algorithm.Open(key, SunscreenNonce, tagOnly, ReadOnlySpan<byte>.Empty, Span<byte>.Empty));
        tagOnly[3] ^= 1;
        Assert.False(Algorithm.Open(key, SunscreenNonce, tagOnly, ReadOnlySpan<byte>.Empty, Span<byte>.Empty));
    }

    [Fact]
    public void Public_methods_reject_misuse_with_argument_exceptions()
    {
        using AeadKey key = Algorithm.ImportKey(SunscreenKey);
        using AeadKey xkey = AeadAlgorithm.XChaCha20Poly1305.ImportKey(SunscreenKey);
        byte[] buffer = new byte[64];
        Assert.Throws<ArgumentException>(() => Algorithm.ImportKey(new byte[31]));
        Assert.Throws<ArgumentException>(() => Algorithm.Seal(key, new byte[11], buffer.AsSpan(0, 8), default, new byte[24]));
        Assert.Throws<ArgumentException>(() => Algorithm.Seal(key, SunscreenNonce, buffer.AsSpan(0, 8), default, new byte[23]));
        Assert.Throws<ArgumentException>(() => Algorithm.Seal(key, SunscreenNonce, buffer.AsSpan(0, 8), default, buffer.AsSpan(1, 24)));
        Assert.Throws<ArgumentException>(() => Algorithm.Seal(xkey, SunscreenNonce, buffer.AsSpan(0, 8), default, new byte[24]));
        Assert.Throws<ArgumentException>(() => Algorithm.Open(key, SunscreenNonce, new byte[32], default, new byte[15]));
        Assert.Throws<ArgumentNullException>(() => Algorithm.Seal(null!, SunscreenNonce, buffer.AsSpan(0, 8), default, new byte[24]));
    }

    [Fact]
    public void A_disposed_key_is_refused()
    {
        AeadKey key = Algorithm.ImportKey(SunscreenKey);
        key.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Algorithm.Seal(key, SunscreenNonce, SunscreenPlaintext, SunscreenAd, new byte[SunscreenPlaintext.Length + 16]));
        Assert.Throws<ObjectDisposedException>(() => key.Export(new byte[32]));
    }

    [Fact]
    public void Export_is_the_explicit_way_out_and_round_trips()
    {
        using AeadKey key = Algorithm.ImportKey(SunscreenKey);
        byte[] exported = new byte[32];
        key.Export(exported);
        Assert.Equal(SunscreenKey, exported);
    }

    [Fact]
    public void Dispose_wipes_the_key_bytes()
    {
        AeadKey key = Algorithm.ImportKey(SunscreenKey);
        byte[] storage = key.SecretStorage;
        byte[] sealedBytes = new byte[16];
        Algorithm.Seal(NativeBackend.OpenSsl, key, SunscreenNonce, default, default, sealedBytes); // creates native contexts too
        Assert.Equal(SunscreenKey, storage);
        key.Dispose();
        Assert.All(storage, b => Assert.Equal(0, b));
    }

    [Fact]
    public void One_key_is_safe_to_use_from_many_threads_at_once()
    {
        using AeadKey key = Algorithm.GenerateKey();
        Parallel.For(0, 8, worker =>
        {
            byte[] plaintext = new byte[1420];
            byte[] message = new byte[1436];
            byte[] opened = new byte[1420];
            for (ulong i = 0; i < 2000; i++)
            {
                plaintext.AsSpan().Fill((byte)((ulong)worker + i));
                Algorithm.Seal(key, i, plaintext, default, message);
                Assert.True(Algorithm.Open(key, i, message, default, opened));
                Assert.Equal(plaintext, opened);
            }
        });
    }
}
