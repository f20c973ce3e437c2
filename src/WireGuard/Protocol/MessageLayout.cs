using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// Sizes and field offsets of the WireGuard messages (the WireGuard paper §5.4, wireguard-go <c>device/noise-protocol.go</c>).
/// All integers are little-endian.
/// </summary>
public static class MessageLayout
{
    /// <summary>Bytes of the type field (type byte and three zero bytes).</summary>
    public const int TypeSize = 4;

    /// <summary>Bytes of an X25519 public key.</summary>
    public const int KeySize = 32;

    /// <summary>Bytes of a Poly1305 tag.</summary>
    public const int TagSize = 16;

    /// <summary>Bytes of a TAI64N timestamp.</summary>
    public const int TimestampSize = 12;

    /// <summary>Bytes of MAC1 and of MAC2.</summary>
    public const int MacSize = 16;

    /// <summary>Bytes of a cookie.</summary>
    public const int CookieSize = 16;

    /// <summary>Bytes of the cookie reply's XChaCha20 nonce.</summary>
    public const int CookieNonceSize = 24;

#pragma warning disable CS1591 // The field offsets below are named for what they are; each block's comment gives the layout.
    // Initiation: type, sender, ephemeral, static (encrypted), timestamp (encrypted), mac1, mac2.
    public const int InitiationSize = 148;
    public const int InitiationSenderOffset = 4;
    public const int InitiationEphemeralOffset = 8;
    public const int InitiationStaticOffset = 40;
    public const int InitiationStaticSize = KeySize + TagSize;
    public const int InitiationTimestampOffset = 88;
    public const int InitiationTimestampSize = TimestampSize + TagSize;
    public const int InitiationMac1Offset = 116;
    public const int InitiationMac2Offset = 132;

    // Response: type, sender, receiver, ephemeral, empty (encrypted: just a tag), mac1, mac2.
    public const int ResponseSize = 92;
    public const int ResponseSenderOffset = 4;
    public const int ResponseReceiverOffset = 8;
    public const int ResponseEphemeralOffset = 12;
    public const int ResponseEmptyOffset = 44;
    public const int ResponseMac1Offset = 60;
    public const int ResponseMac2Offset = 76;

    // Cookie reply: type, receiver, nonce, cookie (encrypted).
    public const int CookieReplySize = 64;
    public const int CookieReplyReceiverOffset = 4;
    public const int CookieReplyNonceOffset = 8;
    public const int CookieReplyCookieOffset = 32;
    public const int CookieReplyCookieSize = CookieSize + TagSize;

    // Transport: type, receiver, counter, then the encrypted packet and its tag.
    public const int TransportHeaderSize = 16;
    public const int TransportReceiverOffset = 4;
    public const int TransportCounterOffset = 8;
#pragma warning restore CS1591

    /// <summary>The smallest transport message: a keepalive (empty plaintext, just the tag).</summary>
    public const int TransportMinimumSize = TransportHeaderSize + TagSize;

    /// <summary>Bytes a transport message adds to its (padded) plaintext: header and tag.</summary>
    public const int TransportOverhead = TransportHeaderSize + TagSize;

    /// <summary>Plaintext is padded with zeros to a multiple of this.</summary>
    public const int PaddingMultiple = 16;

    /// <summary>
    /// The type of <paramref name="datagram"/>: its first four bytes as a little-endian integer when that is one of
    /// the four types, else <see cref="MessageType.None"/> (too short, unknown type, or nonzero reserved bytes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static MessageType TypeOf(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length < TypeSize)
        {
            return MessageType.None;
        }

        uint type = BinaryPrimitives.ReadUInt32LittleEndian(datagram);
        return type - 1 < 4 ? (MessageType)type : MessageType.None;
    }

    /// <summary>The exact size a handshake message of <paramref name="type"/> must have; 0 for transport and none.</summary>
    public static int HandshakeSize(MessageType type) => type switch
    {
        MessageType.Initiation => InitiationSize,
        MessageType.Response => ResponseSize,
        MessageType.CookieReply => CookieReplySize,
        _ => 0,
    };

    /// <summary>Where MAC1 sits in a message of <paramref name="type"/> (initiation or response).</summary>
    public static int Mac1Offset(MessageType type) => type == MessageType.Initiation ? InitiationMac1Offset : ResponseMac1Offset;

    /// <summary>Where MAC2 sits in a message of <paramref name="type"/> (initiation or response).</summary>
    public static int Mac2Offset(MessageType type) => type == MessageType.Initiation ? InitiationMac2Offset : ResponseMac2Offset;

    /// <summary>
    /// How many zero bytes to append to a plaintext of <paramref name="length"/> bytes: up to the next multiple of 16,
    /// but never past <paramref name="mtu"/> (a full-size packet is not padded beyond what the tunnel carries).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PaddingFor(int length, int mtu)
    {
        int padded = (length + (PaddingMultiple - 1)) & ~(PaddingMultiple - 1);
        if (padded > mtu && length <= mtu)
        {
            padded = mtu;
        }

        return padded - length;
    }

    /// <summary>Writes a transport header: type 4, the receiver's index, the counter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteTransportHeader(Span<byte> destination, uint receiverIndex, ulong counter)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)MessageType.Transport);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[TransportReceiverOffset..], receiverIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[TransportCounterOffset..], counter);
    }
}
