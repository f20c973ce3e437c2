using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Tests.Protocol;

/// <summary>
/// A peer's identity agrees its static-static secret on first use, not when it is made, and a key that can never yield
/// one (a low-order point) is still refused when it is made, with or without bit 255 set.
/// </summary>
public sealed class RemoteIdentityTests
{
    /// <summary>The low-order points (little-endian u-coordinates), as RFC 7748 implementations list them.</summary>
    public static TheoryData<string> LowOrder => new()
    {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    };

    [Theory]
    [MemberData(nameof(LowOrder))]
    public void A_low_order_key_is_refused_when_the_identity_is_made_and_really_yields_no_secret(string hex)
    {
        using var local = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        byte[] key = Convert.FromHexString(hex);
        byte[] high = (byte[])key.Clone();
        high[31] |= 0x80;
        foreach (byte[] candidate in new[] { key, high })
        {
            Assert.True(RemoteIdentity.YieldsNoSharedSecret(candidate));
            Assert.False(RemoteIdentity.TryCreate(local, candidate, [], out RemoteIdentity? identity));
            Assert.Null(identity);
            Assert.False(KeyAgreementAlgorithm.X25519.Agree(local.PrivateKey, candidate, new byte[32]));
        }
    }

    [Fact]
    public void The_static_secret_is_agreed_on_first_use_and_is_the_agreement_of_the_two_keys()
    {
        using var a = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        using var b = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        Assert.True(RemoteIdentity.TryCreate(a, b.PublicKey, [], out RemoteIdentity? bAtA));
        using RemoteIdentity identity = bAtA!;
        Assert.False(identity.StaticSharedAgreed);

        Assert.True(identity.TryGetStaticShared(out ReadOnlySpan<byte> shared));
        Assert.True(identity.StaticSharedAgreed);
        byte[] expected = new byte[32];
        Assert.True(KeyAgreementAlgorithm.X25519.Agree(b.PrivateKey, a.PublicKey, expected));
        Assert.Equal(expected, shared.ToArray());

        identity.Dispose();
        Assert.False(identity.TryGetStaticShared(out ReadOnlySpan<byte> wiped));
        Assert.True(wiped.IsEmpty);
    }

    [Fact]
    public void A_handshake_between_identities_that_have_agreed_nothing_yet_completes()
    {
        using var pair = new HandshakeTests.Pair(null);
        Assert.False(pair.BAtA.StaticSharedAgreed);
        Assert.False(pair.AAtB.StaticSharedAgreed);
        _ = pair.Initiation();
        Assert.True(pair.BAtA.StaticSharedAgreed);
    }

    [Fact]
    public void Any_key_is_refused_exactly_when_an_agreement_with_it_yields_nothing()
    {
        using var local = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        Prop.ForAll(
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 32).ToArbitrary(),
            key =>
            {
                bool agrees = KeyAgreementAlgorithm.X25519.Agree(local.PrivateKey, key, new byte[32]);
                return agrees == !RemoteIdentity.YieldsNoSharedSecret(key);
            }).QuickCheckThrowOnFailure();
    }
}
