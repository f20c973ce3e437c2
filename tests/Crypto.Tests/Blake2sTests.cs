using System.Text;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto.Internal;
using static RouterHost.Crypto.Tests.Backends;

namespace RouterHost.Crypto.Tests;

public sealed class Blake2sTests
{
    private static readonly byte[] KatKey = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void Hash_of_abc_matches_RFC7693_appendix_B()
    {
        byte[] hash = new byte[32];
        Blake2s.Hash("abc"u8, hash);
        Assert.Equal(Hex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"), hash);
    }

    [Fact]
    public void Hash_of_the_empty_string_matches_the_reference()
    {
        byte[] hash = new byte[32];
        Blake2s.Hash(ReadOnlySpan<byte>.Empty, hash);
        Assert.Equal(Hex("69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9"), hash);
    }

    // Official BLAKE2 KAT (blake2s-kat.txt, keyed): key 00..1f, input 00..(n-1).
    [Theory]
    [InlineData(0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49")]
    [InlineData(1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1")]
    [InlineData(2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803")]
    [InlineData(3, "1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b")]
    [InlineData(63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd")]
    [InlineData(64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4")]
    [InlineData(65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8")]
    [InlineData(128, "0c311f38c35a4fb90d651c289d486856cd1413df9b0677f53ece2cd9e477c60a")]
    [InlineData(255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd")]
    public void Keyed_hash_matches_the_official_BLAKE2s_KAT(int length, string expected)
    {
        byte[] input = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        byte[] mac = new byte[32];
        Blake2s.Mac(KatKey, input, mac);
        Assert.Equal(Hex(expected), mac);
    }

    [Fact]
    public void Keyed_hash_with_16_byte_output_matches_OpenSSL_BLAKE2SMAC_size_16()
    {
        byte[] mac = new byte[16];
        Blake2s.Mac(KatKey, "abc"u8, mac);
        Assert.Equal(Hex("61ba5f165c194692e09d12520cc4c74a"), mac);
        Blake2s.Mac(KatKey, ReadOnlySpan<byte>.Empty, mac);
        Assert.Equal(Hex("9536f9b267655743dee97b8a670f9f53"), mac);
    }

    [Fact]
    public void WireGuard_construction_and_identifier_hashes_match_the_protocol_constants()
    {
        byte[] chainingKey = new byte[32];
        Blake2s.Hash("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s"u8, chainingKey);
        Assert.Equal(Hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36"), chainingKey);

        byte[] hash = new byte[32];
        Blake2s.Hash(chainingKey, "WireGuard v1 zx2c4 Jason@zx2c4.com"u8, hash);
        Assert.Equal(Hex("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3"), hash);
    }

    [Fact]
    public void Incremental_updates_in_any_split_equal_the_one_shot_hash()
    {
        Gen<byte> bytes = Gen.Choose(0, 255).Select(i => (byte)i);
        Arbitrary<byte[]> data = Arb.From(Gen.Choose(0, 600).SelectMany(n => Gen.ArrayOf(bytes, n)));
        Prop.ForAll(data, Arb.From(Gen.Choose(0, 600)), Arb.From(Gen.Choose(1, 32)), (input, split, size) =>
        {
            int cut = Math.Min(split, input.Length);
            byte[] oneShot = new byte[size];
            Blake2s.Mac(KatKey, input, oneShot);
            Blake2s state = new(size, KatKey);
            state.Update(input.AsSpan(0, cut / 2));
            state.Update(input.AsSpan(cut / 2, cut - (cut / 2)));
            state.Update(input.AsSpan(cut));
            byte[] incremental = new byte[size];
            state.Finish(incremental);
            return oneShot.AsSpan().SequenceEqual(incremental);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Managed_BLAKE2s_agrees_with_OpenSSL_keyed_and_unkeyed_for_random_input()
    {
        Assert.SkipUnless(OpenSslLibrary.IsSupported, "needs OpenSSL as the oracle");
        using OpenSslBlake2s openSsl = new();
        Gen<byte> bytes = Gen.Choose(0, 255).Select(i => (byte)i);
        Arbitrary<byte[]> data = Arb.From(Gen.Choose(0, 1500).SelectMany(n => Gen.ArrayOf(bytes, n)));
        Arbitrary<byte[]> keys = Arb.From(Gen.Choose(1, 32).SelectMany(n => Gen.ArrayOf(bytes, n)));
        Prop.ForAll(data, keys, Arb.From(Gen.Choose(1, 32)), (input, key, size) =>
        {
            byte[] ours = new byte[32];
            byte[] theirs = new byte[32];
            Blake2s.Hash(input, ours);
            openSsl.Hash(input, theirs);
            byte[] ourMac = new byte[size];
            byte[] theirMac = new byte[size];
            Blake2s.Mac(key, input, ourMac);
            openSsl.Mac(key, input, theirMac);
            return ours.AsSpan().SequenceEqual(theirs) && ourMac.AsSpan().SequenceEqual(theirMac);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Misuse_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Blake2s.Hash("abc"u8, new byte[33]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Blake2s(0));
        Assert.Throws<ArgumentException>(() => Blake2s.Mac(new byte[33], "abc"u8, new byte[16]));
        Assert.Throws<ArgumentException>(() => Blake2s.Mac(ReadOnlySpan<byte>.Empty, "abc"u8, new byte[16]));
        Assert.Throws<InvalidOperationException>(() => default(Blake2s).Update("abc"u8));
        Assert.Throws<ArgumentException>(() => new Blake2s(16).Finish(new byte[32]));
    }

    [Fact]
    public void Finish_wipes_the_state()
    {
        Blake2s state = new(32, KatKey);
        state.Update(Encoding.ASCII.GetBytes("secret-bearing input"));
        state.Finish(new byte[32]);
        Assert.Equal(0, state.HashSize);
        Assert.Throws<InvalidOperationException>(() => state.Update("x"u8));
    }
}

public sealed class Blake2sCompressionTests
{
    [Fact]
    public void Vector_and_scalar_compression_functions_agree()
    {
        Gen<byte> bytes = Gen.Choose(0, 255).Select(i => (byte)i);
        Prop.ForAll(Arb.From(Gen.ArrayOf(bytes, 64)), Arb.From(Gen.ArrayOf(bytes, 32)), Arb.From(Gen.Choose(0, int.MaxValue)), (block, state, length) =>
        {
            Blake2s.ChainingValue scalar = default;
            Blake2s.ChainingValue vector = default;
            for (int i = 0; i < 8; i++)
            {
                scalar[i] = vector[i] = BitConverter.ToUInt32(state, 4 * i);
            }

            bool final = (length & 1) == 0;
            ulong counter = (ulong)length * 0x1_0000_0001UL; // exercise both counter words
            Blake2s.CompressScalar(ref scalar, block, counter, final);
            Blake2s.CompressVector(ref vector, block, counter, final);
            for (int i = 0; i < 8; i++)
            {
                if (scalar[i] != vector[i])
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }
}
