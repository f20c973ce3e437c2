using System.Buffers.Binary;
using System.Security.Cryptography;
using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// The responder's side of WireGuard's cookie mechanism (the WireGuard paper §5.4.4, §5.4.7): checks MAC1 of every
/// handshake message sent to us (keyed with our public key, so only senders who know it pass), and under load checks
/// MAC2, a MAC keyed with a cookie that only a sender who received our cookie reply at its source address can know,
/// or answers with that cookie reply. The cookie secret is random and changes every two minutes.
/// <para><see cref="CheckMac1"/> is thread-safe; the rest belongs to one thread (the handshake thread).</para>
/// </summary>
public sealed class CookieChecker : IDisposable
{
    private readonly byte[] _mac1Key = new byte[32];
    private readonly AeadKey _cookieKey;
    private readonly byte[] _secret = GC.AllocateArray<byte>(32, pinned: true);
    private long _secretSetMs = long.MinValue;

    /// <summary>Checks messages sent to <paramref name="local"/>.</summary>
    public CookieChecker(LocalIdentity local)
    {
        local.Mac1Key.CopyTo(_mac1Key);
        _cookieKey = AeadAlgorithm.XChaCha20Poly1305.ImportKey(local.CookieKey);
    }

    /// <summary>
    /// Whether MAC1 of <paramref name="message"/> (an initiation or a response, of its exact size) is right. Cheap and
    /// stateless: the receive path calls it before queueing the message for the handshake thread.
    /// </summary>
    public bool CheckMac1(ReadOnlySpan<byte> message)
    {
        MessageType type = MessageLayout.TypeOf(message);
        if ((type != MessageType.Initiation && type != MessageType.Response) || message.Length != MessageLayout.HandshakeSize(type))
        {
            return false;
        }

        int offset = MessageLayout.Mac1Offset(type);
        Span<byte> mac = stackalloc byte[MessageLayout.MacSize];
        Blake2s.Mac(_mac1Key, message[..offset], mac);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(offset, MessageLayout.MacSize));
    }

    /// <summary>
    /// Whether MAC2 of <paramref name="message"/> was made with the cookie we would give <paramref name="source"/>
    /// (its address bytes and port, as <see cref="SourceKey"/> writes them) under the current secret.
    /// </summary>
    public bool CheckMac2(ReadOnlySpan<byte> message, ReadOnlySpan<byte> source, long nowMs)
    {
        MessageType type = MessageLayout.TypeOf(message);
        if ((type != MessageType.Initiation && type != MessageType.Response) || message.Length != MessageLayout.HandshakeSize(type))
        {
            return false;
        }

        RefreshSecret(nowMs);
        Span<byte> cookie = stackalloc byte[MessageLayout.CookieSize];
        Span<byte> mac = stackalloc byte[MessageLayout.MacSize];
        Blake2s.Mac(_secret, source, cookie);
        int offset = MessageLayout.Mac2Offset(type);
        Blake2s.Mac(cookie, message[..offset], mac);
        CryptographicOperations.ZeroMemory(cookie);
        return CryptographicOperations.FixedTimeEquals(mac, message.Slice(offset, MessageLayout.MacSize));
    }

    /// <summary>
    /// Writes into <paramref name="reply"/> (64 bytes) the cookie reply to <paramref name="message"/> from
    /// <paramref name="source"/>: addressed to the message's sender index, the cookie encrypted under our cookie key
    /// with the message's MAC1 as associated data (so only its sender can use it).
    /// </summary>
    public void CreateReply(ReadOnlySpan<byte> message, ReadOnlySpan<byte> source, long nowMs, Span<byte> reply)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(reply.Length, MessageLayout.CookieReplySize, nameof(reply));
        MessageType type = MessageLayout.TypeOf(message);
        if ((type != MessageType.Initiation && type != MessageType.Response) || message.Length != MessageLayout.HandshakeSize(type))
        {
            throw new ArgumentException("A cookie reply answers an initiation or a response.", nameof(message));
        }

        RefreshSecret(nowMs);
        reply.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(reply, (uint)MessageType.CookieReply);
        uint sender = BinaryPrimitives.ReadUInt32LittleEndian(message[4..]); // both messages carry the sender index at 4
        BinaryPrimitives.WriteUInt32LittleEndian(reply[MessageLayout.CookieReplyReceiverOffset..], sender);
        Span<byte> nonce = reply.Slice(MessageLayout.CookieReplyNonceOffset, MessageLayout.CookieNonceSize);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> cookie = stackalloc byte[MessageLayout.CookieSize];
        Blake2s.Mac(_secret, source, cookie);
        ReadOnlySpan<byte> mac1 = message.Slice(MessageLayout.Mac1Offset(type), MessageLayout.MacSize);
        AeadAlgorithm.XChaCha20Poly1305.Seal(_cookieKey, nonce, cookie, mac1, reply.Slice(MessageLayout.CookieReplyCookieOffset, MessageLayout.CookieReplyCookieSize));
        CryptographicOperations.ZeroMemory(cookie);
    }

    /// <summary>
    /// The bytes a cookie is computed over for a sender: its address (4 or 16 bytes) then its port (big-endian).
    /// Returns how many bytes were written (at most 18).
    /// </summary>
    public static int SourceKey(ReadOnlySpan<byte> address, ushort port, Span<byte> destination)
    {
        address.CopyTo(destination);
        BinaryPrimitives.WriteUInt16BigEndian(destination[address.Length..], port);
        return address.Length + 2;
    }

    /// <summary>Wipes the secret and the cookie key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_secret);
        _cookieKey.Dispose();
    }

    private void RefreshSecret(long nowMs)
    {
        if (_secretSetMs == long.MinValue || nowMs - _secretSetMs >= ProtocolLimits.CookieRefreshTimeMs)
        {
            RandomNumberGenerator.Fill(_secret);
            _secretSetMs = nowMs;
        }
    }
}
