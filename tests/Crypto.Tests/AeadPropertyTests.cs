using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto.Tests;

public sealed class AeadPropertyTests
{
    private static readonly Gen<byte> Bytes = Gen.Choose(0, 255).Select(i => (byte)i);

    private static Arbitrary<byte[]> ArrayUpTo(int max) =>
        Arb.From(Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Bytes, n)));

    private static Arbitrary<byte[]> Exactly(int length) => Arb.From(Gen.ArrayOf(Bytes, length));

    [Fact]
    public void ChaCha20Poly1305_seal_then_open_round_trips_for_lengths_0_to_2000_on_both_libraries()
    {
        Assert.SkipUnless(OpenSslLibrary.IsSupported && SodiumLibrary.IsSupported, "needs both libraries");
        AeadAlgorithm algorithm = AeadAlgorithm.ChaCha20Poly1305;
        Prop.ForAll(ArrayUpTo(2000), ArrayUpTo(64), Exactly(32), (plaintext, ad, keyBytes) =>
        {
            using AeadKey key = algorithm.ImportKey(keyBytes);
            byte[] nonce = new byte[12];
            Random.Shared.NextBytes(nonce);
            byte[] viaOpenSsl = new byte[plaintext.Length + 16];
            byte[] viaSodium = new byte[plaintext.Length + 16];
            algorithm.Seal(NativeBackend.OpenSsl, key, nonce, plaintext, ad, viaOpenSsl);
            algorithm.Seal(NativeBackend.Sodium, key, nonce, plaintext, ad, viaSodium);

            byte[] opened1 = new byte[plaintext.Length];
            byte[] opened2 = new byte[plaintext.Length];
            return viaOpenSsl.AsSpan().SequenceEqual(viaSodium) &&
                algorithm.Open(NativeBackend.OpenSsl, key, nonce, viaSodium, ad, opened1) &&
                algorithm.Open(NativeBackend.Sodium, key, nonce, viaOpenSsl, ad, opened2) &&
                opened1.AsSpan().SequenceEqual(plaintext) &&
                opened2.AsSpan().SequenceEqual(plaintext);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void In_place_seal_then_open_round_trips_and_any_flipped_bit_fails()
    {
        AeadAlgorithm algorithm = AeadAlgorithm.ChaCha20Poly1305;
        using AeadKey key = algorithm.GenerateKey();
        Prop.ForAll(ArrayUpTo(2000), ArrayUpTo(64), Arb.From(Gen.Choose(0, int.MaxValue)), (plaintext, ad, flip) =>
        {
            byte[] nonce = new byte[12];
            Random.Shared.NextBytes(nonce);
            byte[] message = new byte[plaintext.Length + 16];
            plaintext.CopyTo(message, 0);
            algorithm.Seal(key, nonce, message, ad);

            byte[] tampered = (byte[])message.Clone();
            int bit = flip % (tampered.Length * 8);
            tampered[bit / 8] ^= (byte)(1 << (bit % 8));

            return algorithm.Open(key, nonce, message, ad) &&
                message.AsSpan(0, plaintext.Length).SequenceEqual(plaintext) &&
                !algorithm.Open(key, nonce, tampered, ad);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void XChaCha20Poly1305_round_trips_and_matches_libsodium_for_lengths_0_to_2000()
    {
        Assert.SkipUnless(SodiumLibrary.IsSupported, "needs libsodium as the oracle");
        AeadAlgorithm algorithm = AeadAlgorithm.XChaCha20Poly1305;
        Prop.ForAll(ArrayUpTo(2000), ArrayUpTo(64), Exactly(32), (plaintext, ad, keyBytes) =>
        {
            using AeadKey key = algorithm.ImportKey(keyBytes);
            byte[] nonce = new byte[24];
            Random.Shared.NextBytes(nonce);
            byte[] sealedBytes = new byte[plaintext.Length + 16];
            algorithm.Seal(key, nonce, plaintext, ad, sealedBytes);
            byte[] reference = SodiumReference.XChaCha20Poly1305Seal(keyBytes, nonce, plaintext, ad);
            byte[] opened = new byte[plaintext.Length];
            return sealedBytes.AsSpan().SequenceEqual(reference) &&
                algorithm.Open(key, nonce, sealedBytes, ad, opened) &&
                opened.AsSpan().SequenceEqual(plaintext);
        }).QuickCheckThrowOnFailure();
    }
}
