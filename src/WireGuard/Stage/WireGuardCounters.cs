using RouterHost.Abstractions;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// One thread's counters (plain longs: only that thread writes them; readers sum all threads' on demand): per peer
/// datagrams and bytes each way, and drops by reason that happen after the runner's accounting (send failures at
/// flush, handshake messages refused by the handshake thread). UDP payload bytes are counted, as <c>wg show</c> does.
/// Per-peer arrays are indexed by the peer's slot (<see cref="WireGuardPeer.Index"/>); a peer added at runtime may have a
/// slot past them, and the owning thread then grows them (doubling, so rarely: never in steady state). Readers on other
/// threads may see the arrays of before a growth for a moment: counts, never a fault.
/// <para>
/// Several lanes carry one peer at once, each counting in its own arrays (summed by <see cref="AddTo"/>): every array
/// ends in <see cref="Padding"/> slots no one writes, so one lane's hot counts never share a cache line with the next
/// object on the heap (another lane's).
/// </para>
/// </summary>
internal sealed class WireGuardCounters(int peers)
{
    /// <summary>Unused slots at the end of each per-peer array: two 64-byte lines.</summary>
    private const int Padding = 16;

    private long[] _txPackets = new long[Math.Max(peers, 1) + Padding];
    private long[] _txBytes = new long[Math.Max(peers, 1) + Padding];
    private long[] _rxPackets = new long[Math.Max(peers, 1) + Padding];
    private long[] _rxBytes = new long[Math.Max(peers, 1) + Padding];

    public long[] TxPackets => Volatile.Read(ref _txPackets);

    public long[] TxBytes => Volatile.Read(ref _txBytes);

    public long[] RxPackets => Volatile.Read(ref _rxPackets);

    public long[] RxBytes => Volatile.Read(ref _rxBytes);

    /// <summary>Counts a datagram sent to the peer in <paramref name="slot"/> (the owning thread only).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void CountSent(int slot, long bytes)
    {
        if ((uint)slot >= (uint)(_txPackets.Length - Padding))
        {
            Grow(slot);
        }

        _txPackets[slot]++;
        _txBytes[slot] += bytes;
    }

    /// <summary>Counts a datagram received from the peer in <paramref name="slot"/> (the owning thread only).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public void CountReceived(int slot, long bytes)
    {
        if ((uint)slot >= (uint)(_rxPackets.Length - Padding))
        {
            Grow(slot);
        }

        _rxPackets[slot]++;
        _rxBytes[slot] += bytes;
    }

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

    /// <summary>Initiations sent again because the last one went unanswered for 5 s (REKEY_TIMEOUT).</summary>
    public long InitiationRetries;

    /// <summary>Initiations sent at once to settle a crossed handshake (instead of the 5 s retry).</summary>
    public long CrossedReinitiations;
    public long ResponsesSent;
    public long StagedSent;

    /// <summary>Received packets the AQM (<see cref="ReceiveAqm"/>) marked CE, and dropped.</summary>
    public long AqmMarked;
    public long AqmDropped;

    /// <summary>Outbound batches whose sparse flows were sent on their own before the bulk flows' (<see cref="SparseFlowOrder"/>).</summary>
    public long SparseFlushes;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void Grow(int slot)
    {
        int size = Math.Max(slot + 1, (_txPackets.Length - Padding) * 2) + Padding;
        Volatile.Write(ref _txPackets, Grown(_txPackets, size));
        Volatile.Write(ref _txBytes, Grown(_txBytes, size));
        Volatile.Write(ref _rxPackets, Grown(_rxPackets, size));
        Volatile.Write(ref _rxBytes, Grown(_rxBytes, size));
    }

    private static long[] Grown(long[] old, int size)
    {
        var grown = new long[size];
        old.CopyTo(grown, 0);
        return grown;
    }

    public void Drop(DropReason reason, long count = 1) => Drops[reason.Id] += count;

    public void DropMessage(DropReason reason) => HandshakeDrops[reason.Id]++;

    /// <summary>The drops of reason <paramref name="id"/> of both kinds: after the chain's accounting, and handshake messages refused.</summary>
    public long Dropped(int id) => Drops[id] + HandshakeDrops[id];

    /// <summary>
    /// Adds this thread's counts into <paramref name="total"/> (a reader's sum, on the reader's thread): per-peer counts
    /// for <paramref name="total"/>'s slots (arrays of before a growth may be shorter: those slots count from the next read).
    /// </summary>
    public void AddTo(WireGuardCounters total)
    {
        long[] rxBytes = RxBytes, txBytes = TxBytes, rxPackets = RxPackets, txPackets = TxPackets;
        long[] totalRxBytes = total.RxBytes, totalTxBytes = total.TxBytes, totalRxPackets = total.RxPackets, totalTxPackets = total.TxPackets;
        for (int i = 0; i < totalRxBytes.Length && i < rxBytes.Length && i < txBytes.Length && i < rxPackets.Length && i < txPackets.Length; i++)
        {
            totalRxBytes[i] += rxBytes[i];
            totalTxBytes[i] += txBytes[i];
            totalRxPackets[i] += rxPackets[i];
            totalTxPackets[i] += txPackets[i];
        }

        for (int r = 0; r < Drops.Length; r++)
        {
            total.Drops[r] += Drops[r];
            total.HandshakeDrops[r] += HandshakeDrops[r];
        }

        for (int t = 0; t < HandshakesAccepted.Length; t++)
        {
            total.HandshakesAccepted[t] += HandshakesAccepted[t];
        }

        total.UdpDatagramsSent += UdpDatagramsSent;
        total.UdpMessagesSent += UdpMessagesSent;
        total.UdpGsoMessagesSent += UdpGsoMessagesSent;
        total.TransportsAccepted += TransportsAccepted;
        total.HandshakesQueued += HandshakesQueued;
        total.HandshakeMessagesHandled += HandshakeMessagesHandled;
        total.Keepalives += Keepalives;
        total.KeepalivesSent += KeepalivesSent;
        total.CookieRepliesSent += CookieRepliesSent;
        total.InitiationsSent += InitiationsSent;
        total.InitiationRetries += InitiationRetries;
        total.CrossedReinitiations += CrossedReinitiations;
        total.ResponsesSent += ResponsesSent;
        total.StagedSent += StagedSent;
        total.AqmMarked += AqmMarked;
        total.AqmDropped += AqmDropped;
        total.SparseFlushes += SparseFlushes;
    }

    public void Add(DropTally tally)
    {
        for (int i = 0; i < tally.ReasonCount; i++)
        {
            var (reason, count) = tally.GetEntry(i);
            Drops[reason.Id] += count;
        }
    }
}
