using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto.Tests;

/// <summary>
/// Our AVX-512 ChaCha20-Poly1305 against independent implementations: OpenSSL's AEAD for every length class (the
/// 16-block and 8-block ChaCha20 passes, Poly1305's scalar and 8-lane paths, AD long enough for the 8-lane path), and
/// libsodium's Poly1305 alone for chosen keys and messages, including RFC 8439's reduction edge cases.
/// </summary>
public sealed unsafe class Avx512ChaCha20Poly1305Tests
{
    private static readonly Gen<byte> Bytes = Gen.Choose(0, 255).Select(i => (byte)i);

    private static void RequireAvx512()
    {
        Assert.SkipUnless(Avx512ChaCha20Poly1305.IsSupported, "this CPU has no AVX-512 (F and VL)");
    }

    [Fact]
    public void Every_length_from_0_to_2100_seals_as_OpenSSL_does_and_opens_in_and_out_of_place()
    {
        RequireAvx512();
        Assert.SkipUnless(OpenSslLibrary.IsSupported, "needs OpenSSL as the oracle");
        AeadAlgorithm algorithm = AeadAlgorithm.ChaCha20Poly1305;
        byte[] keyBytes = new byte[32];
        new Random(7).NextBytes(keyBytes);
        using AeadKey key = algorithm.ImportKey(keyBytes);
        byte[] nonce = Convert.FromHexString("000000000102030405060708");
        byte[] ad = [1, 2, 3, 4, 5];
        byte[] source = new byte[2100];
        new Random(8).NextBytes(source);
        for (int length = 0; length <= source.Length; length++)
        {
            ReadOnlySpan<byte> plaintext = source.AsSpan(0, length);
            byte[] expected = new byte[length + 16];
            byte[] actual = new byte[length + 16];
            algorithm.Seal(NativeBackend.OpenSsl, key, nonce, plaintext, ad, expected);
            algorithm.Seal(NativeBackend.Avx512, key, nonce, plaintext, ad, actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"seal differs at length {length}");

            byte[] opened = new byte[length];
            Assert.True(algorithm.Open(NativeBackend.Avx512, key, nonce, actual, ad, opened), $"open failed at length {length}");
            Assert.True(plaintext.SequenceEqual(opened), $"open differs at length {length}");

            Assert.True(algorithm.Open(NativeBackend.Avx512, key, nonce, actual, ad, actual.AsSpan(0, length)), $"in-place open failed at length {length}");
            Assert.True(plaintext.SequenceEqual(actual.AsSpan(0, length)), $"in-place open differs at length {length}");
        }
    }

    [Fact]
    public void Random_keys_nonces_ad_and_messages_match_OpenSSL_both_ways()
    {
        RequireAvx512();
        Assert.SkipUnless(OpenSslLibrary.IsSupported, "needs OpenSSL as the oracle");
        AeadAlgorithm algorithm = AeadAlgorithm.ChaCha20Poly1305;
        Arbitrary<byte[]> messages = Arb.From(Gen.Choose(0, 70000).SelectMany(n => Gen.ArrayOf(Bytes, n)));
        Arbitrary<byte[]> ads = Arb.From(Gen.Choose(0, 600).SelectMany(n => Gen.ArrayOf(Bytes, n)));
        Arbitrary<byte[]> keys = Arb.From(Gen.ArrayOf(Bytes, 44));
        Prop.ForAll(messages, ads, keys, (plaintext, ad, keyAndNonce) =>
        {
            using AeadKey key = algorithm.ImportKey(keyAndNonce.AsSpan(0, 32));
            byte[] nonce = keyAndNonce[32..];
            byte[] viaOpenSsl = new byte[plaintext.Length + 16];
            byte[] viaAvx512 = new byte[plaintext.Length + 16];
            algorithm.Seal(NativeBackend.OpenSsl, key, nonce, plaintext, ad, viaOpenSsl);
            algorithm.Seal(NativeBackend.Avx512, key, nonce, plaintext, ad, viaAvx512);
            byte[] opened = new byte[plaintext.Length];
            byte[] openedByOpenSsl = new byte[plaintext.Length];
            return viaOpenSsl.AsSpan().SequenceEqual(viaAvx512) &&
                algorithm.Open(NativeBackend.Avx512, key, nonce, viaOpenSsl, ad, opened) &&
                opened.AsSpan().SequenceEqual(plaintext) &&
                algorithm.Open(NativeBackend.OpenSsl, key, nonce, viaAvx512, ad, openedByOpenSsl) &&
                openedByOpenSsl.AsSpan().SequenceEqual(plaintext);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void Where_the_CPU_has_AVX512_it_carries_the_AEAD_at_every_size_and_the_start_log_says_so()
    {
        RequireAvx512();
        Assert.Equal(NativeBackend.Avx512, BackendChoice.ChaCha20Poly1305For(1420));
        Assert.Equal(NativeBackend.Avx512, BackendChoice.ChaCha20Poly1305For(BackendChoice.SmallMessageBytes));
        Assert.Equal(NativeBackend.Avx512, BackendChoice.ChaCha20Poly1305For(0));
        Assert.Equal("AVX-512", CryptoLibrary.AeadProvider);
        Assert.StartsWith("ChaCha20-Poly1305 from RouterHost's own AVX-512 code, OpenSSL the fallback (", CryptoLibrary.AeadDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void XChaCha20Poly1305_runs_on_AVX512_and_matches_libsodium()
    {
        RequireAvx512();
        Assert.SkipUnless(SodiumLibrary.IsSupported, "needs libsodium as the oracle");
        AeadAlgorithm algorithm = AeadAlgorithm.XChaCha20Poly1305;
        byte[] keyBytes = new byte[32];
        byte[] nonce = new byte[24];
        byte[] plaintext = new byte[1500];
        byte[] ad = new byte[40];
        new Random(11).NextBytes(keyBytes);
        new Random(12).NextBytes(nonce);
        new Random(13).NextBytes(plaintext);
        using AeadKey key = algorithm.ImportKey(keyBytes);
        byte[] sealedBytes = new byte[plaintext.Length + 16];
        algorithm.Seal(NativeBackend.Avx512, key, nonce, plaintext, ad, sealedBytes);
        Assert.Equal(SodiumReference.XChaCha20Poly1305Seal(keyBytes, nonce, plaintext, ad), sealedBytes);
        byte[] opened = new byte[plaintext.Length];
        Assert.True(algorithm.Open(NativeBackend.Avx512, key, nonce, sealedBytes, ad, opened));
        Assert.Equal(plaintext, opened);
    }

    [Fact]
    public void A_flipped_bit_anywhere_in_a_long_message_fails_and_clears_the_output()
    {
        RequireAvx512();
        AeadAlgorithm algorithm = AeadAlgorithm.ChaCha20Poly1305;
        using AeadKey key = algorithm.GenerateKey();
        byte[] nonce = new byte[12];
        byte[] ad = new byte[300];
        byte[] message = new byte[1420 + 16];
        new Random(9).NextBytes(message);
        new Random(10).NextBytes(ad);
        algorithm.Seal(NativeBackend.Avx512, key, nonce, message.AsSpan(0, 1420), ad, message);
        for (int bit = 0; bit < message.Length * 8; bit += 37)
        {
            byte[] tampered = (byte[])message.Clone();
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));
            byte[] output = new byte[1420];
            output.AsSpan().Fill(0xAA);
            Assert.False(algorithm.Open(NativeBackend.Avx512, key, nonce, tampered, ad, output), $"bit {bit} flipped still opened");
            Assert.All(output, b => Assert.Equal(0, b));
        }

        ad[299] ^= 0x80;
        Assert.False(algorithm.Open(NativeBackend.Avx512, key, nonce, message, ad, new byte[1420]));
    }

    [Theory]
    [InlineData("#1", "00", "00x64", "00000000000000000000000000000000")]
    [InlineData("#5", "02", "ffx16", "03000000000000000000000000000000")]
    [InlineData("#6", "02,ffx16", "02,00x15", "03000000000000000000000000000000")]
    [InlineData("#7", "01", "ffx16,f0,ffx15,11,00x15", "05000000000000000000000000000000")]
    [InlineData("#8", "01", "ffx16,fb,fex15,01x16", "00000000000000000000000000000000")]
    [InlineData("#9", "02", "fd,ffx15", "faffffffffffffffffffffffffffffff")]
    public void Poly1305_matches_RFC8439_appendix_A3_edge_cases(string vector, string key, string message, string tag)
    {
        RequireAvx512();
        byte[] keyBytes = new byte[32];
        byte[] r = Spec(key.Split(',')[0]);
        r.CopyTo(keyBytes, 0);
        if (key.Contains(','))
        {
            Spec(key.Split(',')[1]).CopyTo(keyBytes, 16);
        }

        Assert.True(tag == Convert.ToHexString(Poly1305(keyBytes, Spec(message))).ToLowerInvariant(), $"RFC 8439 A.3 {vector}");
    }

    /// <summary>"ffx16,f0,00x15": a byte, or a byte repeated, comma-separated.</summary>
    private static byte[] Spec(string spec) =>
        [.. spec.Split(',').SelectMany(part =>
        {
            string[] pieces = part.Split('x');
            return Enumerable.Repeat(Convert.FromHexString(pieces[0])[0], pieces.Length == 2 ? int.Parse(pieces[1], System.Globalization.CultureInfo.InvariantCulture) : 1);
        })];

    [Fact]
    public void Poly1305_matches_libsodium_for_extreme_and_random_keys_and_messages()
    {
        RequireAvx512();
        Assert.SkipUnless(SodiumLibrary.IsSupported, "needs libsodium as the oracle");
        Gen<byte[]> extremeKey = Gen.Elements(
            Enumerable.Repeat((byte)0xFF, 32).ToArray(),
            Enumerable.Repeat((byte)0x00, 32).ToArray(),
            [.. Enumerable.Repeat((byte)0xFF, 16), .. new byte[16]]);
        Gen<byte[]> anyKey = Gen.OneOf(extremeKey, Gen.ArrayOf(Bytes, 32));
        Gen<byte> extremeByte = Gen.OneOf(Gen.Constant((byte)0xFF), Gen.Constant((byte)0x00), Bytes);
        Gen<byte[]> message = Gen.Choose(0, 300).SelectMany(blocks => Gen.OneOf(
            Gen.Constant(Enumerable.Repeat((byte)0xFF, blocks * 16).ToArray()),
            Gen.ArrayOf(extremeByte, blocks * 16)));
        Prop.ForAll(Arb.From(anyKey), Arb.From(message), (key, data) =>
            Poly1305(key, data).AsSpan().SequenceEqual(SodiumPoly1305(key, data)))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private static byte[] Poly1305(byte[] key, byte[] message)
    {
        byte[] tag = new byte[16];
        fixed (byte* k = key)
        fixed (byte* m = message)
        fixed (byte* t = tag)
        {
            Avx512ChaCha20Poly1305.Poly1305WholeBlocks(k, m, message.Length, t);
        }

        return tag;
    }

    private static byte[] SodiumPoly1305(byte[] key, byte[] message)
    {
        var poly1305 = (delegate* unmanaged<byte*, byte*, ulong, byte*, int>)NativeLibrary.GetExport(
            Interop.Libraries.SodiumHandle, "crypto_onetimeauth_poly1305");
        byte[] tag = new byte[16];
        fixed (byte* k = key)
        fixed (byte* m = message)
        fixed (byte* t = tag)
        {
            Assert.Equal(0, poly1305(t, m, (ulong)message.Length, k));
        }

        return tag;
    }
}
