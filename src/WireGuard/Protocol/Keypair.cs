using RouterHost.Crypto;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// One session: the transport keys derived from a completed handshake, the send counter, the receive replay
/// window, and our and the peer's index. Thread-safe: any number of threads may send (counters are reserved a block
/// at a time with one interlocked add, <see cref="TryReserveCounters"/>) and receive (the window is lock-free) at once.
/// The send counter sits on a cache line of its own, so lanes reserving on it do not disturb lanes reading the keys.
/// </summary>
public sealed class Keypair : IDisposable
{
    private PaddedCounter _counter;

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
    public ulong SentMessages => (ulong)Volatile.Read(ref _counter.Next);

    /// <summary>Whether the session is too old to send or receive on.</summary>
    public bool IsExpired(long nowMs) => nowMs - CreatedMs >= ProtocolLimits.RejectAfterTimeMs;

    /// <summary>
    /// Reserves the next send counter; false once the session has sent its last message (RejectAfterMessages).
    /// </summary>
    public bool TryReserveCounter(out ulong counter) => TryReserveCounters(1, out counter) == 1;

    /// <summary>
    /// Reserves up to <paramref name="count"/> consecutive send counters starting at <paramref name="first"/> with one
    /// interlocked add (a lane reserves for a whole batch, not per packet). Returns how many it got: fewer only at the
    /// end of the session's counters, 0 once the session has sent its last message. What a caller does not use it may
    /// give back with <see cref="ReturnCounters"/>; counters never handed out leave gaps the receiver does not mind.
    /// </summary>
    public int TryReserveCounters(int count, out ulong first)
    {
        // The add's result wraps negative once 2^63 counters were handed out: the session is spent then (long before
        // RejectAfterMessages, which lies above 2^63, so that limit can never be reached).
        long end = Interlocked.Add(ref _counter.Next, count);
        long start = unchecked(end - count);
        first = (ulong)start;
        if (end > 0 && start >= 0)
        {
            return count;
        }

        // Keep the counter pinned at the end, so it never wraps back into use.
        Volatile.Write(ref _counter.Next, long.MaxValue);
        return start >= 0 ? (int)Math.Min(long.MaxValue - start, count) : 0;
    }

    /// <summary>
    /// Gives back the unused tail [<paramref name="next"/>, <paramref name="end"/>) of a reservation, if nobody reserved
    /// after it (one compare-and-swap): one lane alone then sends counters without gaps.
    /// </summary>
    public void ReturnCounters(ulong next, ulong end)
    {
        if (next < end)
        {
            Interlocked.CompareExchange(ref _counter.Next, (long)next, (long)end);
        }
    }

    /// <summary>
    /// Stops sending on this session (as wireguard-go's ExpireCurrentKeypairs does when our private key changes): every
    /// further <see cref="TryReserveCounter"/> fails, so the next packet asks for a new handshake; receiving goes on.
    /// </summary>
    public void ExpireSending() => Volatile.Write(ref _counter.Next, long.MaxValue);

    /// <summary>For tests of the counter limits: the next counter to hand out.</summary>
    internal void SetNextCounterForTest(ulong next) => Volatile.Write(ref _counter.Next, (long)Math.Min(next, long.MaxValue));

    /// <summary>Wipes both keys.</summary>
    public void Dispose()
    {
        SendKey.Dispose();
        ReceiveKey.Dispose();
    }

    /// <summary>The send counter alone on a 64-byte cache line (128 bytes: the adjacent-line prefetcher too).</summary>
    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Explicit, Size = 128)]
    private struct PaddedCounter
    {
        [System.Runtime.InteropServices.FieldOffset(64)]
        public long Next;
    }
}
