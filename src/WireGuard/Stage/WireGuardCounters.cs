using RouterHost.Abstractions;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// One thread's counters (plain longs: only that thread writes them; readers sum all threads' on demand): per peer
/// datagrams and bytes each way, and drops by reason that happen after the runner's accounting (send failures at
/// flush, handshake messages refused by the handshake thread). UDP payload bytes are counted, as <c>wg show</c> does.
/// </summary>
internal sealed class WireGuardCounters(int peers)
{
    public long[] TxPackets { get; } = new long[peers];

    public long[] TxBytes { get; } = new long[peers];

    public long[] RxPackets { get; } = new long[peers];

    public long[] RxBytes { get; } = new long[peers];

    /// <summary>Drops after the runner's accounting: send failures at flush, packets staged out, handshake timeouts.</summary>
    public long[] Drops { get; } = new long[DropReason.MaxReasons];

    /// <summary>Handshake messages the handshake thread refused, by reason (each dequeued message is accepted or one of these).</summary>
    public long[] HandshakeDrops { get; } = new long[DropReason.MaxReasons];

    /// <summary>Handshake messages by what became of them: index = message type (1..3), 0 = other.</summary>
    public long[] HandshakesAccepted { get; } = new long[4];

    /// <summary>Transport messages authenticated on the receive path (data and keepalives).</summary>
    public long TransportsAccepted;

    /// <summary>Handshake messages the receive path passed to the handshake thread.</summary>
    public long HandshakesQueued;

    /// <summary>Handshake messages the handshake thread took from the queue.</summary>
    public long HandshakeMessagesHandled;

    /// <summary>The send side's underlay totals (copied from this thread's senders at each flush).</summary>
    public long UdpDatagramsSent;
    public long UdpMessagesSent;
    public long UdpGsoMessagesSent;

    public long Keepalives;
    public long KeepalivesSent;
    public long CookieRepliesSent;
    public long InitiationsSent;
    public long ResponsesSent;
    public long StagedSent;

    public void Drop(DropReason reason, long count = 1) => Drops[reason.Id] += count;

    public void DropMessage(DropReason reason) => HandshakeDrops[reason.Id]++;

    public void Add(DropTally tally)
    {
        for (int i = 0; i < tally.ReasonCount; i++)
        {
            var (reason, count) = tally.GetEntry(i);
            Drops[reason.Id] += count;
        }
    }
}
