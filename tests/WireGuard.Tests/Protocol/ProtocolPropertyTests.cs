using FsCheck;
using FsCheck.Fluent;
using RouterHost.Crypto;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Tests.Protocol;

/// <summary>Random bytes in every handshake message and every timestamp, size and counter boundary.</summary>
public sealed class ProtocolPropertyTests
{
    [Fact]
    public void Random_initiations_responses_and_cookie_replies_are_refused_without_throwing()
    {
        using var pair = new HandshakeTests.Pair(null);
        _ = pair.Initiation();
        using var generator = new CookieGenerator(pair.BAtA);
        generator.AddMacs(pair.Initiation(), 0);
        var pending = new PendingInitiation();
        Prop.ForAll(
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), MessageLayout.InitiationSize).ToArbitrary(),
            bytes =>
            {
                byte[] initiation = (byte[])bytes.Clone();
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(initiation, 1);
                byte[] response = bytes[..MessageLayout.ResponseSize];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(response, 2);
                byte[] reply = bytes[..MessageLayout.CookieReplySize];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(reply, 3);
                HandshakeOutcome opened = NoiseHandshake.TryOpenInitiation(pair.B, initiation, pending);
                HandshakeOutcome consumed = NoiseHandshake.TryConsumeResponse(pair.A, pair.BAtA, pair.HandshakeAtA, response);
                bool cookie = generator.TryConsumeReply(reply, 1);
                return opened != HandshakeOutcome.Accepted && consumed != HandshakeOutcome.Accepted && !cookie
                    && pair.HandshakeAtA.Stage == HandshakeStage.InitiationCreated;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_type_of_a_datagram_needs_all_four_type_bytes_right()
    {
        Assert.Equal(MessageType.None, MessageLayout.TypeOf([]));
        Assert.Equal(MessageType.None, MessageLayout.TypeOf([1, 0, 0]));
        Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf([1, 0, 0, 0]));
        Assert.Equal(MessageType.Transport, MessageLayout.TypeOf([4, 0, 0, 0, 9]));
        Assert.Equal(MessageType.None, MessageLayout.TypeOf([0, 0, 0, 0]));
        Assert.Equal(MessageType.None, MessageLayout.TypeOf([5, 0, 0, 0]));
        Assert.Equal(MessageType.None, MessageLayout.TypeOf([1, 0, 0, 1]));
        Assert.Equal(MessageType.None, MessageLayout.TypeOf([4, 1, 0, 0]));
    }

    [Theory]
    [InlineData(0, 1420, 0)]
    [InlineData(1, 1420, 15)]
    [InlineData(16, 1420, 0)]
    [InlineData(17, 1420, 15)]
    [InlineData(1419, 1420, 1)]
    [InlineData(1420, 1420, 0)]
    [InlineData(1410, 1420, 10)]
    [InlineData(1500, 1420, 4)]
    public void Plaintext_is_padded_to_16_bytes_but_not_past_the_mtu(int length, int mtu, int padding)
    {
        Assert.Equal(padding, MessageLayout.PaddingFor(length, mtu));
    }

    [Fact]
    public void Timestamps_order_like_the_times_they_stand_for_at_the_whitened_resolution()
    {
        var t0 = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
        var a = new byte[12];
        var b = new byte[12];
        Tai64N.Write(a, t0);
        Tai64N.Write(b, t0.AddMilliseconds(20));
        Assert.True(Tai64N.IsAfter(b, a));
        Assert.False(Tai64N.IsAfter(a, b));
        Assert.False(Tai64N.IsAfter(a, a));
        Tai64N.Write(b, t0.AddMilliseconds(5));
        Assert.False(Tai64N.IsAfter(b, a), "times 5 ms apart look the same (2^24 ns resolution)");
        Assert.Equal(0x40, a[0]); // 2^62 + 10 + seconds
        Assert.Equal(t0, Tai64N.ToDateTimeOffset(a));
    }

    [Fact]
    public void Counters_are_reserved_in_blocks_given_back_when_unused_and_cut_short_at_the_end()
    {
        using var pair = new HandshakeTests.Pair(null);
        (Keypair initiator, Keypair responder) = pair.Complete();
        using (initiator)
        using (responder)
        {
            Assert.Equal(64, initiator.TryReserveCounters(64, out ulong first));
            Assert.Equal(0UL, first);
            initiator.ReturnCounters(10, 64); // used 0..9: the tail comes back
            Assert.Equal(10UL, initiator.SentMessages);
            Assert.Equal(8, initiator.TryReserveCounters(8, out ulong next));
            Assert.Equal(10UL, next);
            Assert.Equal(1, initiator.TryReserveCounters(1, out ulong other)); // another lane reserved after it
            initiator.ReturnCounters(12, 18);
            Assert.Equal(19UL, initiator.SentMessages); // so the tail stays a gap
            Assert.Equal(18UL, other);

            initiator.SetNextCounterForTest(long.MaxValue - 3);
            Assert.Equal(3, initiator.TryReserveCounters(64, out ulong last));
            Assert.Equal((ulong)long.MaxValue - 3, last);
            Assert.Equal(0, initiator.TryReserveCounters(1, out _));
            initiator.ReturnCounters(0, 5);
            Assert.Equal(0, initiator.TryReserveCounters(64, out _));
        }
    }

    [Fact]
    public void Lanes_reserving_blocks_at_once_get_every_counter_exactly_once()
    {
        using var pair = new HandshakeTests.Pair(null);
        (Keypair initiator, Keypair responder) = pair.Complete();
        using (initiator)
        using (responder)
        {
            var taken = new System.Collections.Concurrent.ConcurrentBag<ulong>();
            Parallel.For(0, 4, lane =>
            {
                for (int i = 0; i < 500; i++)
                {
                    int want = 1 + ((lane + i) % 7);
                    int granted = initiator.TryReserveCounters(want, out ulong start);
                    int used = granted / 2 + 1;
                    for (int c = 0; c < used; c++)
                    {
                        taken.Add(start + (ulong)c);
                    }

                    initiator.ReturnCounters(start + (ulong)used, start + (ulong)granted);
                }
            });
            Assert.Equal(taken.Count, taken.Distinct().Count());
        }
    }

    [Fact]
    public void A_session_hands_out_counters_in_order_and_stops_before_the_reject_limit()
    {
        using var pair = new HandshakeTests.Pair(null);
        (Keypair initiator, Keypair responder) = pair.Complete();
        using (initiator)
        using (responder)
        {
            Assert.True(initiator.TryReserveCounter(out ulong first));
            Assert.True(initiator.TryReserveCounter(out ulong second));
            Assert.Equal(0UL, first);
            Assert.Equal(1UL, second);
            initiator.SetNextCounterForTest(long.MaxValue - 1);
            Assert.True(initiator.TryReserveCounter(out ulong last));
            Assert.Equal((ulong)long.MaxValue - 1, last);
            Assert.False(initiator.TryReserveCounter(out _));
            Assert.False(initiator.TryReserveCounter(out _), "once exhausted, always exhausted");
            Assert.True(initiator.IsExpired(2000 + ProtocolLimits.RejectAfterTimeMs));
            Assert.False(initiator.IsExpired(2000 + ProtocolLimits.RejectAfterTimeMs - 1));
        }
    }
}
