using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Tests.Protocol;

/// <summary>MAC1, MAC2 and the cookie reply between an initiator and a responder under load.</summary>
public sealed class CookieTests
{
    private static readonly byte[] Source = [192, 0, 2, 7, 0xca, 0x6c];

    [Fact]
    public void Mac1_is_checked_with_the_receivers_key_and_any_change_fails_it()
    {
        using var pair = new HandshakeTests.Pair(null);
        using var checker = new CookieChecker(pair.B);
        using var generator = new CookieGenerator(pair.BAtA);
        byte[] initiation = pair.Initiation();
        generator.AddMacs(initiation, 0);
        Assert.True(checker.CheckMac1(initiation));
        Assert.True(initiation.AsSpan(MessageLayout.InitiationMac2Offset, 16).IndexOfAnyExcept((byte)0) < 0, "no cookie yet: MAC2 is zeros");
        using var other = new CookieChecker(pair.A);
        Assert.False(other.CheckMac1(initiation));
        for (int i = 0; i < MessageLayout.InitiationMac2Offset; i += 7)
        {
            initiation[i] ^= 1;
            Assert.False(checker.CheckMac1(initiation));
            initiation[i] ^= 1;
        }
    }

    [Fact]
    public void Under_load_a_cookie_reply_gives_the_initiator_a_cookie_that_makes_its_next_MAC2_valid()
    {
        using var pair = new HandshakeTests.Pair(null);
        using var checker = new CookieChecker(pair.B);
        using var generator = new CookieGenerator(pair.BAtA);
        byte[] first = pair.Initiation();
        generator.AddMacs(first, 1000);
        Assert.False(checker.CheckMac2(first, Source, 1000));

        var reply = new byte[MessageLayout.CookieReplySize];
        checker.CreateReply(first, Source, 1000, reply);
        Assert.Equal(MessageType.CookieReply, MessageLayout.TypeOf(reply));
        Assert.Equal(pair.HandshakeAtA.LocalIndex, CookieGenerator.ReceiverOf(reply));
        Assert.True(generator.TryConsumeReply(reply, 1000));
        Assert.True(generator.HasFreshCookie(1000));

        byte[] retry = pair.Initiation();
        generator.AddMacs(retry, 2000);
        Assert.True(checker.CheckMac1(retry));
        Assert.True(checker.CheckMac2(retry, Source, 2000));
        Assert.False(checker.CheckMac2(retry, [192, 0, 2, 8, 0xca, 0x6c], 2000), "the cookie is bound to the source address");
    }

    [Fact]
    public void A_cookie_stops_counting_after_two_minutes_on_either_side()
    {
        using var pair = new HandshakeTests.Pair(null);
        using var checker = new CookieChecker(pair.B);
        using var generator = new CookieGenerator(pair.BAtA);
        byte[] first = pair.Initiation();
        generator.AddMacs(first, 1000);
        var reply = new byte[MessageLayout.CookieReplySize];
        checker.CreateReply(first, Source, 1000, reply);
        Assert.True(generator.TryConsumeReply(reply, 1000));
        Assert.False(generator.HasFreshCookie(1000 + ProtocolLimits.CookieRefreshTimeMs));

        byte[] late = pair.Initiation();
        generator.AddMacs(late, 1000 + ProtocolLimits.CookieRefreshTimeMs - 1);
        Assert.False(checker.CheckMac2(late, Source, 1000 + ProtocolLimits.CookieRefreshTimeMs), "the responder's secret has changed");
    }

    [Fact]
    public void A_cookie_reply_to_an_older_message_or_a_forged_one_is_refused()
    {
        using var pair = new HandshakeTests.Pair(null);
        using var checker = new CookieChecker(pair.B);
        using var generator = new CookieGenerator(pair.BAtA);
        var reply = new byte[MessageLayout.CookieReplySize];
        byte[] first = pair.Initiation();
        Assert.False(generator.TryConsumeReply(reply, 0), "nothing sent yet");
        generator.AddMacs(first, 1000);
        checker.CreateReply(first, Source, 1000, reply);
        byte[] second = pair.Initiation();
        generator.AddMacs(second, 1001);
        Assert.False(generator.TryConsumeReply(reply, 1001), "it answers the first initiation, not the last");

        checker.CreateReply(second, Source, 1001, reply);
        reply[40] ^= 1;
        Assert.False(generator.TryConsumeReply(reply, 1001));
    }

    [Fact]
    public void Random_handshake_messages_never_pass_MAC1_and_never_throw()
    {
        using var local = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        using var checker = new CookieChecker(local);
        Prop.ForAll(
            Gen.Elements(MessageType.Initiation, MessageType.Response, MessageType.CookieReply, MessageType.Transport, MessageType.None)
                .SelectMany(t => Gen.Choose(0, 200).SelectMany(n => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)).Select(b => (t, b)))
                .ToArbitrary(),
            input =>
            {
                (MessageType type, byte[] bytes) = input;
                if (bytes.Length >= 4 && type != MessageType.None)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)type);
                }

                bool mac1 = checker.CheckMac1(bytes);
                bool mac2 = checker.CheckMac2(bytes, Source, 5);
                return !mac1 && !mac2;
            }).QuickCheckThrowOnFailure();
    }
}
