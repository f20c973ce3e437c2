using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// One session: the transport keys derived from a completed handshake, the send counter, the receive replay
/// window, and our and the peer's index. Thread-safe: any number of threads may send (the counter is reserved
/// with one interlocked increment) and receive (the window is lock-free) at once.
/// </summary>
public sealed class Keypair : IDisposable
{
    private long _nextCounter;

    /// <summary>Takes ownership of both keys.</summary>
    public Keypair(AeadKey sendKey, AeadKey receiveKey, bool isInitiator, uint localIndex, uint remoteIndex, long createdMs)
    {
        SendKey = sendKey;
        ReceiveKey = receiveKey;
        IsInitiator = isInitiator;
        LocalIndex = localIndex;
        RemoteIndex = remoteIndex;
        CreatedMs = createdMs;
    }

    /// <summary>The key of messages we send.</summary>
    public AeadKey SendKey { get; }

    /// <summary>The key of messages we receive.</summary>
    public AeadKey ReceiveKey { get; }

    /// <summary>Whether we initiated the handshake (only the initiator renews a session after RekeyAfterTime).</summary>
    public bool IsInitiator { get; }

    /// <summary>Our index: the receiver index of the peer's transport messages.</summary>
    public uint LocalIndex { get; }

    /// <summary>The peer's index: the receiver index we write.</summary>
    public uint RemoteIndex { get; }

    /// <summary>When (monotonic ms) the session was derived.</summary>
    public long CreatedMs { get; }

    /// <summary>The receive side's anti-replay window.</summary>
    public ReplayWindow Replay { get; } = new();

    /// <summary>Counters handed out so far (the next counter to send).</summary>
    public ulong SentMessages => (ulong)Volatile.Read(ref _nextCounter);

    /// <summary>Whether the session is too old to send or receive on.</summary>
    public bool IsExpired(long nowMs) => nowMs - CreatedMs >= ProtocolLimits.RejectAfterTimeMs;

    /// <summary>
    /// Reserves the next send counter; false once the session has sent its last message (RejectAfterMessages).
    /// </summary>
    public bool TryReserveCounter(out ulong counter)
    {
        // The increment's result wraps negative once 2^63 counters were handed out: the session is spent then (long
        // before RejectAfterMessages, which lies above 2^63, so that limit can never be reached).
        long reserved = Interlocked.Increment(ref _nextCounter);
        counter = (ulong)(reserved - 1);
        if (reserved <= 0 || counter >= ProtocolLimits.RejectAfterMessages)
        {
            // Keep the counter pinned at the end, so it never wraps back into use.
            Volatile.Write(ref _nextCounter, long.MaxValue);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Stops sending on this session (as wireguard-go's ExpireCurrentKeypairs does when our private key changes): every
    /// further <see cref="TryReserveCounter"/> fails, so the next packet asks for a new handshake; receiving goes on.
    /// </summary>
    public void ExpireSending() => Volatile.Write(ref _nextCounter, long.MaxValue);

    /// <summary>For tests of the counter limits: the next counter to hand out.</summary>
    internal void SetNextCounterForTest(ulong next) => Volatile.Write(ref _nextCounter, (long)Math.Min(next, long.MaxValue));

    /// <summary>Wipes both keys.</summary>
    public void Dispose()
    {
        SendKey.Dispose();
        ReceiveKey.Dispose();
    }
}
