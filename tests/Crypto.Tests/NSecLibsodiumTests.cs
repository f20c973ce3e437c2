using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto.Internal;
using static RouterHost.Crypto.Tests.Backends;
using NSecAead = NSec.Cryptography.AeadAlgorithm;
using NSecKey = NSec.Cryptography.Key;
using NSecKeyAgreement = NSec.Cryptography.KeyAgreementAlgorithm;
using NSecKeyBlobFormat = NSec.Cryptography.KeyBlobFormat;

namespace RouterHost.Crypto.Tests;

/// <summary>
/// The libsodium NSec.Cryptography ships is the one loaded, and every path we keep agrees with NSec's own API on it
/// (an independent caller of the same library: its key objects, its argument handling).
/// </summary>
public sealed class NSecLibsodiumTests
{
    private static readonly Gen<byte> Bytes = Gen.Choose(0, 255).Select(i => (byte)i);

    private static Arbitrary<byte[]> ArrayUpTo(int max) =>
        Arb.From(Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Bytes, n)));

    private static Arbitrary<byte[]> Exactly(int length) => Arb.From(Gen.ArrayOf(Bytes, length));

    [Fact]
    public void The_loaded_libsodium_is_NSecs_1_0_22_not_the_systems()
    {
        Assert.True(SodiumLibrary.IsSupported);
        Assert.True(Interop.Libraries.SodiumIsNSecs);
        Assert.Equal("1.0.22", CryptoLibrary.SodiumVersion);
        Assert.Contains("NSec", CryptoLibrary.AeadDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void ChaCha20Poly1305_in_place_on_both_libraries_equals_NSecs_seal_and_opens_it()
    {
        Assert.SkipUnless(OpenSslLibrary.IsSupported, "needs OpenSSL");
        AeadAlgorithm algorithm = AeadAlgorithm.ChaCha20Poly1305;
        Prop.ForAll(ArrayUpTo(3000), ArrayUpTo(64), Exactly(32), (plaintext, ad, keyBytes) =>
        {
            using AeadKey key = algorithm.ImportKey(keyBytes);
            using NSecKey nsecKey = NSecKey.Import(NSecAead.ChaCha20Poly1305, keyBytes, NSecKeyBlobFormat.RawSymmetricKey);
            byte[] nonce = new byte[12];
            Random.Shared.NextBytes(nonce);
            byte[] expected = new byte[plaintext.Length + 16];
            NSecAead.ChaCha20Poly1305.Encrypt(nsecKey, nonce, ad, plaintext, expected);

            bool ok = true;
            foreach (NativeBackend backend in (NativeBackend[])[NativeBackend.OpenSsl, NativeBackend.Sodium])
            {
                byte[] message = new byte[plaintext.Length + 16];
                plaintext.CopyTo(message, 0);
                algorithm.Seal(backend, key, nonce, message.AsSpan(0, plaintext.Length), ad, message);
                ok &= message.AsSpan().SequenceEqual(expected);
                ok &= algorithm.Open(backend, key, nonce, message, ad, message.AsSpan(0, plaintext.Length));
                ok &= message.AsSpan(0, plaintext.Length).SequenceEqual(plaintext);
            }

            byte[] viaApi = new byte[plaintext.Length + 16];
            plaintext.CopyTo(viaApi, 0);
            algorithm.Seal(key, nonce, viaApi, ad);
            byte[] opened = new byte[plaintext.Length];
            return ok && viaApi.AsSpan().SequenceEqual(expected) && NSecAead.ChaCha20Poly1305.Decrypt(nsecKey, nonce, ad, viaApi, opened) &&
                opened.AsSpan().SequenceEqual(plaintext);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void XChaCha20Poly1305_one_libsodium_call_and_HChaCha20_then_OpenSSL_both_equal_NSecs_seal()
    {
        Assert.SkipUnless(OpenSslLibrary.IsSupported, "needs OpenSSL");
        AeadAlgorithm algorithm = AeadAlgorithm.XChaCha20Poly1305;
        Prop.ForAll(ArrayUpTo(300), ArrayUpTo(32), Exactly(32 + 24), (plaintext, ad, keyAndNonce) =>
        {
            byte[] keyBytes = keyAndNonce[..32];
            byte[] nonce = keyAndNonce[32..];
            using AeadKey key = algorithm.ImportKey(keyBytes);
            using NSecKey nsecKey = NSecKey.Import(NSecAead.XChaCha20Poly1305, keyBytes, NSecKeyBlobFormat.RawSymmetricKey);
            byte[] expected = new byte[plaintext.Length + 16];
            NSecAead.XChaCha20Poly1305.Encrypt(nsecKey, nonce, ad, plaintext, expected);

            byte[] viaSodium = new byte[plaintext.Length + 16];
            byte[] viaOpenSsl = new byte[plaintext.Length + 16];
            algorithm.Seal(NativeBackend.Sodium, key, nonce, plaintext, ad, viaSodium);
            algorithm.Seal(NativeBackend.OpenSsl, key, nonce, plaintext, ad, viaOpenSsl);
            byte[] opened = new byte[plaintext.Length];
            byte[] tampered = (byte[])expected.Clone();
            tampered[^1] ^= 1;
            return viaSodium.AsSpan().SequenceEqual(expected) && viaOpenSsl.AsSpan().SequenceEqual(expected) &&
                algorithm.Open(NativeBackend.Sodium, key, nonce, expected, ad, opened) && opened.AsSpan().SequenceEqual(plaintext) &&
                !algorithm.Open(NativeBackend.Sodium, key, nonce, tampered, ad, opened);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void X25519_public_keys_equal_NSecs_for_imported_and_generated_keys()
    {
        Prop.ForAll(Exactly(32), scalar =>
        {
            using X25519PrivateKey imported = KeyAgreementAlgorithm.X25519.ImportPrivateKey(scalar);
            using NSecKey nsecKey = NSecKey.Import(NSecKeyAgreement.X25519, scalar, NSecKeyBlobFormat.RawPrivateKey);
            return imported.PublicKey.SequenceEqual(nsecKey.PublicKey.Export(NSecKeyBlobFormat.RawPublicKey));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void An_imported_private_key_lives_in_guarded_memory_freed_on_dispose_and_later_use_is_refused()
    {
        byte[] scalar = Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        X25519PrivateKey key = KeyAgreementAlgorithm.X25519.ImportPrivateKey(scalar);
        SafeHandle guarded = key.GuardedStorage!;
        Assert.Null(key.SecretStorage);
        Assert.False(guarded.IsClosed);
        byte[] exported = new byte[32];
        key.ExportPrivateKey(exported);
        Assert.Equal(scalar, exported);
        byte[] shared = new byte[32];
        Assert.True(KeyAgreementAlgorithm.X25519.Agree(NativeBackend.Sodium, key, Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), shared));
        Assert.Equal(Hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"), shared);

        key.Dispose();
        Assert.True(guarded.IsClosed); // sodium_free wiped and unmapped it
        Assert.Throws<ObjectDisposedException>(() => KeyAgreementAlgorithm.X25519.Agree(key, new byte[32], shared));
        Assert.Throws<ObjectDisposedException>(() => key.ExportPrivateKey(exported));
    }

    [Fact]
    public void A_generated_private_key_stays_in_a_pinned_array_wiped_on_dispose()
    {
        X25519PrivateKey key = KeyAgreementAlgorithm.X25519.GenerateKey();
        Assert.Null(key.GuardedStorage);
        byte[] storage = key.SecretStorage!;
        key.Dispose();
        Assert.All(storage, b => Assert.Equal(0, b));
    }
}
