using System.Buffers.Binary;
using System.Security.Cryptography;
using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// WireGuard's Noise_IKpsk2 handshake (the WireGuard paper §5.4.2–§5.4.6): building and reading the initiation and the
/// response, and deriving the session. MAC1/MAC2 are not written here (see <see cref="CookieGenerator"/>) and not
/// checked here (see <see cref="CookieChecker"/>). Control plane: may allocate (key objects), never throws for bad input.
/// </summary>
public static class NoiseHandshake
{
    private static readonly RouterHost.Crypto.ChaCha20Poly1305 Aead = AeadAlgorithm.ChaCha20Poly1305;
    private static readonly X25519 Dh = KeyAgreementAlgorithm.X25519;

    /// <summary>
    /// Writes an initiation to <paramref name="peer"/> into <paramref name="message"/> (148 bytes; MAC fields left zero)
    /// and puts <paramref name="handshake"/> at <see cref="HandshakeStage.InitiationCreated"/>. False only when the
    /// peer's key yields no shared secret (refused when the peer was configured, so not in practice).
    /// </summary>
    public static bool CreateInitiation(LocalIdentity local, RemoteIdentity peer, Handshake handshake, uint senderIndex, DateTimeOffset now, Span<byte> message)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(message.Length, MessageLayout.InitiationSize, nameof(message));
        handshake.Clear();
        message.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)MessageType.Initiation);
        BinaryPrimitives.WriteUInt32LittleEndian(message[MessageLayout.InitiationSenderOffset..], senderIndex);

        Span<byte> c = handshake.ChainKey;
        Span<byte> h = handshake.Hash;
        NoiseConstants.InitialChainKey.CopyTo(c);
        MixHash(NoiseConstants.InitialHash, peer.PublicKey, h);

        X25519PrivateKey ephemeral = Dh.GenerateKey();
        Span<byte> ephemeralPublic = message.Slice(MessageLayout.InitiationEphemeralOffset, MessageLayout.KeySize);
        ephemeral.PublicKey.CopyTo(ephemeralPublic);
        HkdfBlake2s.Derive(c, ephemeralPublic, c, default, default);
        MixHash(h, ephemeralPublic, h);

        Span<byte> shared = stackalloc byte[32];
        Span<byte> key = stackalloc byte[32];
        try
        {
            if (!Dh.Agree(ephemeral, peer.PublicKey, shared))
            {
                ephemeral.Dispose();
                return false;
            }

            HkdfBlake2s.Derive(c, shared, c, key, default);
            Span<byte> encryptedStatic = message.Slice(MessageLayout.InitiationStaticOffset, MessageLayout.InitiationStaticSize);
            Seal(key, local.PublicKey, h, encryptedStatic);
            MixHash(h, encryptedStatic, h);

            if (!peer.TryGetStaticShared(out ReadOnlySpan<byte> staticShared))
            {
                ephemeral.Dispose();
                return false;
            }

            HkdfBlake2s.Derive(c, staticShared, c, key, default);
            Span<byte> timestamp = stackalloc byte[Tai64N.Size];
            Tai64N.Write(timestamp, now);
            Span<byte> encryptedTimestamp = message.Slice(MessageLayout.InitiationTimestampOffset, MessageLayout.InitiationTimestampSize);
            Seal(key, timestamp, h, encryptedTimestamp);
            MixHash(h, encryptedTimestamp, h);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            CryptographicOperations.ZeroMemory(key);
        }

        handshake.LocalEphemeral = ephemeral;
        handshake.LocalIndex = senderIndex;
        handshake.Stage = HandshakeStage.InitiationCreated;
        return true;
    }

    /// <summary>
    /// Reads an initiation up to its static key: afterwards <see cref="PendingInitiation.RemoteStaticKey"/> names the
    /// initiator, whose peer the caller finds before <see cref="TryAcceptInitiation"/>.
    /// </summary>
    public static HandshakeOutcome TryOpenInitiation(LocalIdentity local, ReadOnlySpan<byte> message, PendingInitiation pending)
    {
        if (message.Length != MessageLayout.InitiationSize || MessageLayout.TypeOf(message) != MessageType.Initiation)
        {
            throw new ArgumentException("Not an initiation message.", nameof(message));
        }

        pending.Clear();
        pending.SenderIndex = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.InitiationSenderOffset..]);
        Span<byte> c = pending.ChainKey;
        Span<byte> h = pending.Hash;
        NoiseConstants.InitialChainKey.CopyTo(c);
        MixHash(NoiseConstants.InitialHash, local.PublicKey, h);

        ReadOnlySpan<byte> ephemeral = message.Slice(MessageLayout.InitiationEphemeralOffset, MessageLayout.KeySize);
        ephemeral.CopyTo(pending.RemoteEphemeral);
        HkdfBlake2s.Derive(c, ephemeral, c, default, default);
        MixHash(h, ephemeral, h);

        Span<byte> shared = stackalloc byte[32];
        Span<byte> key = stackalloc byte[32];
        try
        {
            if (!Dh.Agree(local.PrivateKey, ephemeral, shared))
            {
                return HandshakeOutcome.BadEphemeral;
            }

            HkdfBlake2s.Derive(c, shared, c, key, default);
            ReadOnlySpan<byte> encryptedStatic = message.Slice(MessageLayout.InitiationStaticOffset, MessageLayout.InitiationStaticSize);
            if (!Open(key, encryptedStatic, h, pending.RemoteStatic))
            {
                return HandshakeOutcome.StaticDecryptFailed;
            }

            MixHash(h, encryptedStatic, h);
            return HandshakeOutcome.Accepted;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Finishes reading an initiation from <paramref name="peer"/>: decrypts the timestamp, refuses a replayed one and
    /// one that comes too soon after the last (flood), and on success puts <paramref name="handshake"/> at
    /// <see cref="HandshakeStage.InitiationConsumed"/> (replacing any handshake of ours under way).
    /// </summary>
    public static HandshakeOutcome TryAcceptInitiation(PendingInitiation pending, RemoteIdentity peer, Handshake handshake, ReadOnlySpan<byte> message, long nowMs)
    {
        Span<byte> c = pending.ChainKey;
        Span<byte> h = pending.Hash;
        Span<byte> key = stackalloc byte[32];
        Span<byte> timestamp = stackalloc byte[Tai64N.Size];
        try
        {
            if (!peer.TryGetStaticShared(out ReadOnlySpan<byte> staticShared))
            {
                return HandshakeOutcome.UnknownPeer;
            }

            HkdfBlake2s.Derive(c, staticShared, c, key, default);
            ReadOnlySpan<byte> encryptedTimestamp = message.Slice(MessageLayout.InitiationTimestampOffset, MessageLayout.InitiationTimestampSize);
            if (!Open(key, encryptedTimestamp, h, timestamp))
            {
                return HandshakeOutcome.TimestampDecryptFailed;
            }

            MixHash(h, encryptedTimestamp, h);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }

        if (handshake.HasTimestamp && !Tai64N.IsAfter(timestamp, handshake.LatestTimestamp))
        {
            return HandshakeOutcome.ReplayedTimestamp;
        }

        if (handshake.LastInitiationConsumedMs != 0 && nowMs - handshake.LastInitiationConsumedMs < ProtocolLimits.InitiationMinimumIntervalMs)
        {
            return HandshakeOutcome.Flood;
        }

        handshake.Clear();
        pending.ChainKey.CopyTo(handshake.ChainKey);
        pending.Hash.CopyTo(handshake.Hash);
        pending.RemoteEphemeral.CopyTo(handshake.RemoteEphemeral);
        handshake.RemoteIndex = pending.SenderIndex;
        timestamp.CopyTo(handshake.LatestTimestamp);
        handshake.HasTimestamp = true;
        handshake.LastInitiationConsumedMs = nowMs;
        handshake.Stage = HandshakeStage.InitiationConsumed;
        pending.Clear();
        return HandshakeOutcome.Accepted;
    }

    /// <summary>
    /// Writes the response to the initiation <paramref name="handshake"/> consumed into <paramref name="message"/>
    /// (92 bytes; MAC fields left zero) and puts the handshake at <see cref="HandshakeStage.ResponseCreated"/>.
    /// </summary>
    public static HandshakeOutcome CreateResponse(RemoteIdentity peer, Handshake handshake, uint senderIndex, Span<byte> message)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(message.Length, MessageLayout.ResponseSize, nameof(message));
        if (handshake.Stage != HandshakeStage.InitiationConsumed)
        {
            return HandshakeOutcome.WrongStage;
        }

        message.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)MessageType.Response);
        BinaryPrimitives.WriteUInt32LittleEndian(message[MessageLayout.ResponseSenderOffset..], senderIndex);
        BinaryPrimitives.WriteUInt32LittleEndian(message[MessageLayout.ResponseReceiverOffset..], handshake.RemoteIndex);

        Span<byte> c = handshake.ChainKey;
        Span<byte> h = handshake.Hash;
        using X25519PrivateKey ephemeral = Dh.GenerateKey();
        Span<byte> ephemeralPublic = message.Slice(MessageLayout.ResponseEphemeralOffset, MessageLayout.KeySize);
        ephemeral.PublicKey.CopyTo(ephemeralPublic);
        HkdfBlake2s.Derive(c, ephemeralPublic, c, default, default);
        MixHash(h, ephemeralPublic, h);

        Span<byte> shared = stackalloc byte[32];
        Span<byte> tau = stackalloc byte[32];
        Span<byte> key = stackalloc byte[32];
        try
        {
            if (!Dh.Agree(ephemeral, handshake.RemoteEphemeral, shared))
            {
                handshake.Clear();
                return HandshakeOutcome.BadEphemeral;
            }

            HkdfBlake2s.Derive(c, shared, c, default, default);
            if (!Dh.Agree(ephemeral, peer.PublicKey, shared))
            {
                handshake.Clear();
                return HandshakeOutcome.BadEphemeral;
            }

            HkdfBlake2s.Derive(c, shared, c, default, default);
            HkdfBlake2s.Derive(c, peer.PresharedKey, c, tau, key);
            MixHash(h, tau, h);
            Span<byte> empty = message.Slice(MessageLayout.ResponseEmptyOffset, MessageLayout.TagSize);
            Seal(key, ReadOnlySpan<byte>.Empty, h, empty);
            MixHash(h, empty, h);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(shared);
            CryptographicOperations.ZeroMemory(tau);
            CryptographicOperations.ZeroMemory(key);
        }

        handshake.LocalIndex = senderIndex;
        handshake.Stage = HandshakeStage.ResponseCreated;
        return HandshakeOutcome.Accepted;
    }

    /// <summary>
    /// Reads a response to the initiation <paramref name="handshake"/> holds; on success the handshake is at
    /// <see cref="HandshakeStage.ResponseConsumed"/>. A failed response leaves the handshake as it was.
    /// </summary>
    public static HandshakeOutcome TryConsumeResponse(LocalIdentity local, RemoteIdentity peer, Handshake handshake, ReadOnlySpan<byte> message)
    {
        if (message.Length != MessageLayout.ResponseSize || MessageLayout.TypeOf(message) != MessageType.Response)
        {
            throw new ArgumentException("Not a response message.", nameof(message));
        }

        if (handshake.Stage != HandshakeStage.InitiationCreated || handshake.LocalEphemeral is null)
        {
            return HandshakeOutcome.WrongStage;
        }

        Span<byte> c = stackalloc byte[32];
        Span<byte> h = stackalloc byte[32];
        Span<byte> shared = stackalloc byte[32];
        Span<byte> tau = stackalloc byte[32];
        Span<byte> key = stackalloc byte[32];
        try
        {
            handshake.ChainKey.CopyTo(c);
            handshake.Hash.CopyTo(h);
            ReadOnlySpan<byte> ephemeral = message.Slice(MessageLayout.ResponseEphemeralOffset, MessageLayout.KeySize);
            HkdfBlake2s.Derive(c, ephemeral, c, default, default);
            MixHash(h, ephemeral, h);
            if (!Dh.Agree(handshake.LocalEphemeral, ephemeral, shared))
            {
                return HandshakeOutcome.BadEphemeral;
            }

            HkdfBlake2s.Derive(c, shared, c, default, default);
            if (!Dh.Agree(local.PrivateKey, ephemeral, shared))
            {
                return HandshakeOutcome.BadEphemeral;
            }

            HkdfBlake2s.Derive(c, shared, c, default, default);
            HkdfBlake2s.Derive(c, peer.PresharedKey, c, tau, key);
            MixHash(h, tau, h);
            ReadOnlySpan<byte> empty = message.Slice(MessageLayout.ResponseEmptyOffset, MessageLayout.TagSize);
            if (!Open(key, empty, h, Span<byte>.Empty))
            {
                return HandshakeOutcome.ResponseDecryptFailed;
            }

            MixHash(h, empty, h);
            c.CopyTo(handshake.ChainKey);
            h.CopyTo(handshake.Hash);
            handshake.RemoteIndex = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.ResponseSenderOffset..]);
            handshake.Stage = HandshakeStage.ResponseConsumed;
            handshake.LocalEphemeral.Dispose();
            handshake.LocalEphemeral = null;
            return HandshakeOutcome.Accepted;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(c);
            CryptographicOperations.ZeroMemory(h);
            CryptographicOperations.ZeroMemory(shared);
            CryptographicOperations.ZeroMemory(tau);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// Derives the session from a handshake at <see cref="HandshakeStage.ResponseConsumed"/> (we initiated) or
    /// <see cref="HandshakeStage.ResponseCreated"/> (we responded), and clears the handshake. Null at any other stage.
    /// </summary>
    public static Keypair? DeriveKeypair(Handshake handshake, long nowMs)
    {
        bool initiator;
        if (handshake.Stage == HandshakeStage.ResponseConsumed)
        {
            initiator = true;
        }
        else if (handshake.Stage == HandshakeStage.ResponseCreated)
        {
            initiator = false;
        }
        else
        {
            return null;
        }

        Span<byte> first = stackalloc byte[32];
        Span<byte> second = stackalloc byte[32];
        try
        {
            HkdfBlake2s.Derive(handshake.ChainKey, ReadOnlySpan<byte>.Empty, first, second, default);
            AeadKey send = Aead.ImportKey(initiator ? first : second);
            AeadKey receive = Aead.ImportKey(initiator ? second : first);
            var keypair = new Keypair(send, receive, initiator, handshake.LocalIndex, handshake.RemoteIndex, nowMs);
            handshake.Clear();
            return keypair;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(first);
            CryptographicOperations.ZeroMemory(second);
        }
    }

    private static void MixHash(ReadOnlySpan<byte> hash, ReadOnlySpan<byte> data, Span<byte> result) => Blake2s.Hash(hash, data, result);

    private static void Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> ciphertextAndTag)
    {
        using AeadKey aeadKey = Aead.ImportKey(key);
        Aead.Seal(aeadKey, 0UL, plaintext, associatedData, ciphertextAndTag);
    }

    private static bool Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        using AeadKey aeadKey = Aead.ImportKey(key);
        return Aead.Open(aeadKey, 0UL, ciphertextAndTag, associatedData, plaintext);
    }
}
