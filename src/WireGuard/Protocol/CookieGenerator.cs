using System.Buffers.Binary;
using System.Security.Cryptography;
using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// The sender's side of WireGuard's cookie mechanism for one peer: writes MAC1 (keyed with the peer's public key) and
/// MAC2 (keyed with the last cookie the peer sent us, while it is fresh; zeros otherwise) into the handshake messages
/// we send it, and accepts the peer's cookie replies, which only decrypt with the MAC1 of our last message as
/// associated data. One thread (the handshake thread).
/// </summary>
public sealed class CookieGenerator : IDisposable
{
    private readonly byte[] _mac1Key = new byte[32];
    private readonly AeadKey _cookieKey;
    private readonly byte[] _lastMac1 = new byte[MessageLayout.MacSize];
    private readonly byte[] _cookie = GC.AllocateArray<byte>(MessageLayout.CookieSize, pinned: true);
    private bool _hasLastMac1;
    private long _cookieSetMs = long.MinValue;

    /// <summary>For messages to <paramref name="peer"/>.</summary>
    public CookieGenerator(RemoteIdentity peer)
    {
        peer.Mac1Key.CopyTo(_mac1Key);
        _cookieKey = AeadAlgorithm.XChaCha20Poly1305.ImportKey(peer.CookieKey);
    }

    /// <summary>Whether a cookie from the peer is fresh enough to key MAC2.</summary>
    public bool HasFreshCookie(long nowMs) => _cookieSetMs != long.MinValue && nowMs - _cookieSetMs < ProtocolLimits.CookieRefreshTimeMs;

    /// <summary>Writes MAC1 and MAC2 into <paramref name="message"/> (an initiation or a response).</summary>
    public void AddMacs(Span<byte> message, long nowMs)
    {
        MessageType type = MessageLayout.TypeOf(message);
        if ((type != MessageType.Initiation && type != MessageType.Response) || message.Length != MessageLayout.HandshakeSize(type))
        {
            throw new ArgumentException("MACs go into an initiation or a response.", nameof(message));
        }

        int mac1 = MessageLayout.Mac1Offset(type);
        int mac2 = MessageLayout.Mac2Offset(type);
        Blake2s.Mac(_mac1Key, message[..mac1], message.Slice(mac1, MessageLayout.MacSize));
        message.Slice(mac1, MessageLayout.MacSize).CopyTo(_lastMac1);
        _hasLastMac1 = true;
        if (HasFreshCookie(nowMs))
        {
            Blake2s.Mac(_cookie, message[..mac2], message.Slice(mac2, MessageLayout.MacSize));
        }
        else
        {
            message.Slice(mac2, MessageLayout.MacSize).Clear();
        }
    }

    /// <summary>The receiver index a cookie reply is addressed to.</summary>
    public static uint ReceiverOf(ReadOnlySpan<byte> reply) => BinaryPrimitives.ReadUInt32LittleEndian(reply[MessageLayout.CookieReplyReceiverOffset..]);

    /// <summary>
    /// Accepts a cookie reply to our last message; false when we sent nothing it could answer or it does not
    /// decrypt (forged, or answering an older message).
    /// </summary>
    public bool TryConsumeReply(ReadOnlySpan<byte> reply, long nowMs)
    {
        if (reply.Length != MessageLayout.CookieReplySize || MessageLayout.TypeOf(reply) != MessageType.CookieReply || !_hasLastMac1)
        {
            return false;
        }

        Span<byte> cookie = stackalloc byte[MessageLayout.CookieSize];
        bool ok = AeadAlgorithm.XChaCha20Poly1305.Open(
            _cookieKey,
            reply.Slice(MessageLayout.CookieReplyNonceOffset, MessageLayout.CookieNonceSize),
            reply.Slice(MessageLayout.CookieReplyCookieOffset, MessageLayout.CookieReplyCookieSize),
            _lastMac1,
            cookie);
        if (ok)
        {
            cookie.CopyTo(_cookie);
            _cookieSetMs = nowMs;
        }

        CryptographicOperations.ZeroMemory(cookie);
        return ok;
    }

    /// <summary>Wipes the cookie and the key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_cookie);
        _cookieKey.Dispose();
    }
}
