using static RouterHost.Crypto.Tests.Backends;

namespace RouterHost.Crypto.Tests;

// Expected values: Python's hmac module over hashlib.blake2s (an independent HMAC and BLAKE2s).
public sealed class HmacBlake2sTests
{
    [Theory]
    [InlineData(32, "abc", "82623be5bc0a391b24dce53e67d028eff92d586de0485ac37822e597d049c74f")]
    [InlineData(65, "abc", "44d87b3939dec16bc76cbd83e3982ac0a4eafab8a5b87c8c2adbd0da7d5c9695")]
    public void Hmac_matches_the_reference(int keyLength, string message, string expected)
    {
        byte[] key = Enumerable.Range(0, keyLength).Select(i => (byte)i).ToArray();
        byte[] mac = new byte[32];
        HmacBlake2s.Compute(key, System.Text.Encoding.ASCII.GetBytes(message), mac);
        Assert.Equal(Hex(expected), mac);
    }

    [Fact]
    public void Hmac_with_an_empty_key_over_200_bytes_matches_the_reference()
    {
        byte[] data = Enumerable.Range(0, 200).Select(i => (byte)(i % 251)).ToArray();
        byte[] mac = new byte[32];
        HmacBlake2s.Compute(ReadOnlySpan<byte>.Empty, data, mac);
        Assert.Equal(Hex("37bfd84146a999397d51a647e2fa1ddf4195ae34da253a7be156b06db7c233b6"), mac);
    }

    [Fact]
    public void Kdf3_matches_the_reference_and_Kdf1_Kdf2_are_its_prefixes()
    {
        byte[] chainingKey = Hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
        byte[] input = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] t1 = new byte[32], t2 = new byte[32], t3 = new byte[32];
        HkdfBlake2s.Derive(chainingKey, input, t1, t2, t3);
        Assert.Equal(Hex("6ff66e10ab4a55ac8144a867fcd9f8ee64d4bd6239223338cb3437cf085ab031"), t1);
        Assert.Equal(Hex("203b22d63d63e35cebb9e40210cf8c1d7f90879428a4c766cda9ef34bb299398"), t2);
        Assert.Equal(Hex("35a7b2fc3e4f59db341dbe588e3b75897980c463d5bbb855f8ed8134ff40133a"), t3);

        byte[] k1 = new byte[32], k2 = new byte[32];
        HkdfBlake2s.Derive(chainingKey, input, k1, k2, Span<byte>.Empty);
        Assert.Equal(t1, k1);
        Assert.Equal(t2, k2);
    }

    [Fact]
    public void Kdf1_over_empty_input_matches_the_reference_even_when_the_output_aliases_the_key()
    {
        byte[] chainingKey = Hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36");
        HkdfBlake2s.Derive(chainingKey, ReadOnlySpan<byte>.Empty, chainingKey, Span<byte>.Empty, Span<byte>.Empty);
        Assert.Equal(Hex("bd968725a9177942a8c2e4253d1dde31cf7b19ec001b4a3a3d141cd9d998d3ba"), chainingKey);
    }

    [Fact]
    public void Wrong_output_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => HmacBlake2s.Compute(new byte[32], new byte[1], new byte[16]));
        Assert.Throws<ArgumentException>(() => HkdfBlake2s.Derive(new byte[32], new byte[1], new byte[16], default, default));
        Assert.Throws<ArgumentException>(() => HkdfBlake2s.Derive(new byte[32], new byte[1], new byte[32], default, new byte[32]));
    }
}
