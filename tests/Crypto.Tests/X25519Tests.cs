using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto.Internal;
using static RouterHost.Crypto.Tests.Backends;

namespace RouterHost.Crypto.Tests;

public sealed class X25519Tests
{
    private static readonly X25519 Algorithm = KeyAgreementAlgorithm.X25519;

    [Theory]
    [InlineData("OpenSsl", "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("OpenSsl", "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    [InlineData("Sodium", "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("Sodium", "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void Agree_matches_RFC7748_section_5_2(string backendName, string scalar, string u, string expected)
    {
        NativeBackend backend = Parse(backendName);
        using X25519PrivateKey key = new(backend, Hex(scalar));
        byte[] output = new byte[32];
        Assert.True(Algorithm.Agree(backend, key, Hex(u), output));
        Assert.Equal(Hex(expected), output);
    }

    [Theory]
    [InlineData("OpenSsl")]
    [InlineData("Sodium")]
    public void Iterating_the_ladder_matches_RFC7748_section_5_2_after_1_and_1000_rounds(string backendName)
    {
        NativeBackend backend = Parse(backendName);
        byte[] k = Hex("0900000000000000000000000000000000000000000000000000000000000000");
        byte[] u = (byte[])k.Clone();
        byte[] result = new byte[32];
        for (int i = 1; i <= 1000; i++)
        {
            using (X25519PrivateKey key = new(backend, k))
            {
                Assert.True(Algorithm.Agree(backend, key, u, result));
            }

            u = k;
            k = (byte[])result.Clone();
            if (i == 1)
            {
                Assert.Equal(Hex("422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"), k);
            }
        }

        Assert.Equal(Hex("684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"), k);
    }

    [Theory]
    [InlineData("OpenSsl")]
    [InlineData("Sodium")]
    public void Alice_and_Bob_derive_RFC7748_section_6_1_keys_and_secret(string backendName)
    {
        NativeBackend backend = Parse(backendName);
        using X25519PrivateKey alice = new(backend, Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        using X25519PrivateKey bob = new(backend, Hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        Assert.Equal(Hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"), alice.PublicKey.ToArray());
        Assert.Equal(Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), bob.PublicKey.ToArray());

        byte[] shared = Hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        byte[] ab = new byte[32];
        byte[] ba = new byte[32];
        Assert.True(Algorithm.Agree(backend, alice, bob.PublicKey, ab));
        Assert.True(Algorithm.Agree(backend, bob, alice.PublicKey, ba));
        Assert.Equal(shared, ab);
        Assert.Equal(shared, ba);
    }

    [Theory]
    [InlineData("OpenSsl", "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("OpenSsl", "0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("OpenSsl", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")]
    [InlineData("Sodium", "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("Sodium", "0100000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("Sodium", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")]
    public void Agree_returns_false_and_clears_output_for_low_order_points(string backendName, string lowOrderPoint)
    {
        NativeBackend backend = Parse(backendName);
        using X25519PrivateKey key = new(backend, Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        byte[] output = new byte[32];
        output.AsSpan().Fill(0xAA);
        Assert.False(Algorithm.Agree(backend, key, Hex(lowOrderPoint), output));
        Assert.All(output, b => Assert.Equal(0, b));
    }

    [Fact]
    public void Shared_secrets_commute_for_random_keys_and_both_libraries_agree()
    {
        Gen<byte> bytes = Gen.Choose(0, 255).Select(i => (byte)i);
        Arbitrary<byte[]> scalars = Arb.From(Gen.ArrayOf(bytes, 32));
        bool both = OpenSslLibrary.IsSupported && SodiumLibrary.IsSupported;
        Prop.ForAll(scalars, scalars, (a, b) =>
        {
            using X25519PrivateKey alice = Algorithm.ImportPrivateKey(a);
            using X25519PrivateKey bob = Algorithm.ImportPrivateKey(b);
            byte[] ab = new byte[32];
            byte[] ba = new byte[32];
            bool ok = Algorithm.Agree(alice, bob.PublicKey, ab) && Algorithm.Agree(bob, alice.PublicKey, ba) && ab.AsSpan().SequenceEqual(ba);
            if (ok && both)
            {
                byte[] viaOpenSsl = new byte[32];
                byte[] viaSodium = new byte[32];
                ok = Algorithm.Agree(NativeBackend.OpenSsl, alice, bob.PublicKey, viaOpenSsl) &&
                    Algorithm.Agree(NativeBackend.Sodium, alice, bob.PublicKey, viaSodium) &&
                    viaOpenSsl.AsSpan().SequenceEqual(ab) && viaSodium.AsSpan().SequenceEqual(ab);
            }

            return ok;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Generated_keys_are_clamped_and_agree()
    {
        using X25519PrivateKey a = Algorithm.GenerateKey();
        using X25519PrivateKey b = Algorithm.GenerateKey();
        byte[] scalar = new byte[32];
        a.ExportPrivateKey(scalar);
        Assert.Equal(0, scalar[0] & 7);
        Assert.Equal(64, scalar[31] & 0xC0);
        byte[] ab = new byte[32];
        byte[] ba = new byte[32];
        Assert.True(Algorithm.Agree(a, b.PublicKey, ab));
        Assert.True(Algorithm.Agree(b, a.PublicKey, ba));
        Assert.Equal(ab, ba);
    }

    [Fact]
    public void Dispose_wipes_the_private_scalar_and_later_use_is_refused()
    {
        X25519PrivateKey key = new(Parse("Sodium"), Hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        byte[] storage = key.SecretStorage!;
        byte[] output = new byte[32];
        Assert.True(Algorithm.Agree(NativeBackend.OpenSsl, key, Hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"), output));
        key.Dispose();
        Assert.All(storage, b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => Algorithm.Agree(key, new byte[32], output));
        Assert.Throws<ObjectDisposedException>(() => key.ExportPrivateKey(new byte[32]));
    }

    [Fact]
    public void Public_methods_reject_wrong_sizes()
    {
        using X25519PrivateKey key = Algorithm.GenerateKey();
        Assert.Throws<ArgumentException>(() => Algorithm.ImportPrivateKey(new byte[31]));
        Assert.Throws<ArgumentException>(() => Algorithm.Agree(key, new byte[31], new byte[32]));
        Assert.Throws<ArgumentException>(() => Algorithm.Agree(key, new byte[32], new byte[16]));
    }
}
