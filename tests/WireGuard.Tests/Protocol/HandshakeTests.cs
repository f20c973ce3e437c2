using System.Buffers.Binary;
using RouterHost.Crypto;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Tests.Protocol;

/// <summary>Both sides of the Noise_IKpsk2 handshake against each other, and every way a message can be refused.</summary>
public sealed class HandshakeTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Initiator_and_responder_derive_matching_sessions_that_carry_data_both_ways(bool withPsk)
    {
        using var pair = new Pair(withPsk ? Psk() : null);
        (Keypair initiator, Keypair responder) = pair.Complete();
        Assert.True(initiator.IsInitiator);
        Assert.False(responder.IsInitiator);
        Assert.Equal(initiator.LocalIndex, responder.RemoteIndex);
        Assert.Equal(initiator.RemoteIndex, responder.LocalIndex);

        AssertCarries(initiator, responder);
        AssertCarries(responder, initiator);
        initiator.Dispose();
        responder.Dispose();
    }

    [Fact]
    public void A_response_under_another_preshared_key_is_refused()
    {
        byte[] psk = Psk();
        byte[] other = Psk();
        using var pair = new Pair(psk, responderPsk: other);
        byte[] initiation = pair.Initiation();
        byte[] response = pair.Respond(initiation);
        Assert.Equal(HandshakeOutcome.ResponseDecryptFailed, NoiseHandshake.TryConsumeResponse(pair.A, pair.BAtA, pair.HandshakeAtA, response));
        Assert.Equal(HandshakeStage.InitiationCreated, pair.HandshakeAtA.Stage);
    }

    [Fact]
    public void An_initiation_for_another_responder_does_not_decrypt()
    {
        using var pair = new Pair(null);
        using var stranger = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
        byte[] initiation = pair.Initiation();
        var pending = new PendingInitiation();
        Assert.Equal(HandshakeOutcome.StaticDecryptFailed, NoiseHandshake.TryOpenInitiation(stranger, initiation, pending));
    }

    [Theory]
    [InlineData(MessageLayout.InitiationEphemeralOffset + 3)]
    [InlineData(MessageLayout.InitiationStaticOffset + 5)]
    [InlineData(MessageLayout.InitiationStaticOffset + 47)]
    [InlineData(MessageLayout.InitiationTimestampOffset)]
    [InlineData(MessageLayout.InitiationTimestampOffset + 27)]
    public void A_flipped_bit_anywhere_in_the_encrypted_initiation_is_refused(int offset)
    {
        using var pair = new Pair(null);
        byte[] initiation = pair.Initiation();
        initiation[offset] ^= 0x10;
        var pending = new PendingInitiation();
        HandshakeOutcome opened = NoiseHandshake.TryOpenInitiation(pair.B, initiation, pending);
        if (opened == HandshakeOutcome.Accepted)
        {
            opened = NoiseHandshake.TryAcceptInitiation(pending, pair.AAtB, pair.HandshakeAtB, initiation, 1000);
        }

        Assert.NotEqual(HandshakeOutcome.Accepted, opened);
        Assert.Equal(HandshakeStage.None, pair.HandshakeAtB.Stage);
    }

    [Theory]
    [InlineData(MessageLayout.ResponseEphemeralOffset + 1)]
    [InlineData(MessageLayout.ResponseEmptyOffset + 15)]
    public void A_flipped_bit_in_the_response_is_refused_and_the_initiation_stays_pending(int offset)
    {
        using var pair = new Pair(null);
        byte[] response = pair.Respond(pair.Initiation());
        response[offset] ^= 0x01;
        HandshakeOutcome outcome = NoiseHandshake.TryConsumeResponse(pair.A, pair.BAtA, pair.HandshakeAtA, response);
        Assert.NotEqual(HandshakeOutcome.Accepted, outcome);
        Assert.Equal(HandshakeStage.InitiationCreated, pair.HandshakeAtA.Stage);
    }

    [Fact]
    public void A_replayed_initiation_is_refused_by_its_timestamp()
    {
        using var pair = new Pair(null);
        byte[] initiation = pair.Initiation();
        Assert.Equal(HandshakeOutcome.Accepted, pair.Accept(initiation, nowMs: 1000));
        Assert.Equal(HandshakeOutcome.ReplayedTimestamp, pair.Accept(initiation, nowMs: 5000));
    }

    [Fact]
    public void A_second_initiation_within_20_ms_is_refused_as_a_flood_and_one_later_is_accepted()
    {
        using var pair = new Pair(null);
        Assert.Equal(HandshakeOutcome.Accepted, pair.Accept(pair.Initiation(Now), nowMs: 1000));
        Assert.Equal(HandshakeOutcome.Flood, pair.Accept(pair.Initiation(Now.AddSeconds(1)), nowMs: 1010));
        Assert.Equal(HandshakeOutcome.Accepted, pair.Accept(pair.Initiation(Now.AddSeconds(2)), nowMs: 1030));
    }

    [Fact]
    public void An_initiation_with_an_older_timestamp_than_the_last_accepted_is_refused()
    {
        using var pair = new Pair(null);
        Assert.Equal(HandshakeOutcome.Accepted, pair.Accept(pair.Initiation(Now), nowMs: 1000));
        Assert.Equal(HandshakeOutcome.ReplayedTimestamp, pair.Accept(pair.Initiation(Now.AddSeconds(-10)), nowMs: 9000));
    }

    [Fact]
    public void A_response_without_a_pending_initiation_is_refused()
    {
        using var pair = new Pair(null);
        byte[] response = pair.Respond(pair.Initiation());
        pair.HandshakeAtA.Clear();
        Assert.Equal(HandshakeOutcome.WrongStage, NoiseHandshake.TryConsumeResponse(pair.A, pair.BAtA, pair.HandshakeAtA, response));
    }

    [Fact]
    public void A_low_order_ephemeral_key_is_refused()
    {
        using var pair = new Pair(null);
        byte[] initiation = pair.Initiation();
        initiation.AsSpan(MessageLayout.InitiationEphemeralOffset, 32).Clear(); // the point 0 is of low order
        Assert.Equal(HandshakeOutcome.BadEphemeral, NoiseHandshake.TryOpenInitiation(pair.B, initiation, new PendingInitiation()));
    }

    [Fact]
    public void Messages_have_the_exact_sizes_and_types_of_the_protocol()
    {
        using var pair = new Pair(null);
        byte[] initiation = pair.Initiation();
        Assert.Equal(148, initiation.Length);
        Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(initiation));
        Assert.Equal(pair.HandshakeAtA.LocalIndex, BinaryPrimitives.ReadUInt32LittleEndian(initiation.AsSpan(4)));
        byte[] response = pair.Respond(initiation);
        Assert.Equal(92, response.Length);
        Assert.Equal(MessageType.Response, MessageLayout.TypeOf(response));
        Assert.Equal(pair.HandshakeAtA.LocalIndex, BinaryPrimitives.ReadUInt32LittleEndian(response.AsSpan(8)));
    }

    internal static byte[] Psk()
    {
        var psk = new byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(psk);
        return psk;
    }

    private static void AssertCarries(Keypair sender, Keypair receiver)
    {
        byte[] message = new byte[100 + 16];
        for (int i = 0; i < 100; i++)
        {
            message[i] = (byte)i;
        }

        Assert.True(sender.TryReserveCounter(out ulong counter));
        AeadAlgorithm.ChaCha20Poly1305.Seal(sender.SendKey, counter, message, default);
        Assert.True(AeadAlgorithm.ChaCha20Poly1305.Open(receiver.ReceiveKey, counter, message, default));
        Assert.True(receiver.Replay.TryAccept(counter));
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal((byte)i, message[i]);
        }
    }

    /// <summary>Node A (initiator) and node B (responder), each with the other configured as a peer.</summary>
    internal sealed class Pair : IDisposable
    {
        public Pair(byte[]? psk, byte[]? responderPsk = null)
        {
            A = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
            B = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
            Assert.True(RemoteIdentity.TryCreate(A, B.PublicKey, psk ?? [], out RemoteIdentity? bAtA));
            Assert.True(RemoteIdentity.TryCreate(B, A.PublicKey, responderPsk ?? psk ?? [], out RemoteIdentity? aAtB));
            BAtA = bAtA!;
            AAtB = aAtB!;
        }

        public LocalIdentity A { get; }

        public LocalIdentity B { get; }

        public RemoteIdentity BAtA { get; }

        public RemoteIdentity AAtB { get; }

        public Handshake HandshakeAtA { get; } = new();

        public Handshake HandshakeAtB { get; } = new();

        public byte[] Initiation(DateTimeOffset? at = null)
        {
            var message = new byte[MessageLayout.InitiationSize];
            Assert.True(NoiseHandshake.CreateInitiation(A, BAtA, HandshakeAtA, 0x11223344, at ?? Now, message));
            return message;
        }

        public HandshakeOutcome Accept(byte[] initiation, long nowMs)
        {
            var pending = new PendingInitiation();
            HandshakeOutcome opened = NoiseHandshake.TryOpenInitiation(B, initiation, pending);
            if (opened != HandshakeOutcome.Accepted)
            {
                return opened;
            }

            Assert.True(pending.RemoteStaticKey.SequenceEqual(A.PublicKey));
            return NoiseHandshake.TryAcceptInitiation(pending, AAtB, HandshakeAtB, initiation, nowMs);
        }

        public byte[] Respond(byte[] initiation)
        {
            Assert.Equal(HandshakeOutcome.Accepted, Accept(initiation, nowMs: 1000));
            var response = new byte[MessageLayout.ResponseSize];
            Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.CreateResponse(AAtB, HandshakeAtB, 0x55667788, response));
            return response;
        }

        public (Keypair Initiator, Keypair Responder) Complete()
        {
            byte[] response = Respond(Initiation());
            Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryConsumeResponse(A, BAtA, HandshakeAtA, response));
            Keypair? initiator = NoiseHandshake.DeriveKeypair(HandshakeAtA, 2000);
            Keypair? responder = NoiseHandshake.DeriveKeypair(HandshakeAtB, 2000);
            Assert.NotNull(initiator);
            Assert.NotNull(responder);
            Assert.Equal(HandshakeStage.None, HandshakeAtA.Stage);
            Assert.Equal(HandshakeStage.None, HandshakeAtB.Stage);
            return (initiator!, responder!);
        }

        public void Dispose()
        {
            HandshakeAtA.Dispose();
            HandshakeAtB.Dispose();
            BAtA.Dispose();
            AAtB.Dispose();
            A.Dispose();
            B.Dispose();
        }
    }
}
