namespace RouterHost.Abstractions;

/// <summary>
/// One queue of a backend's device (a multi-queue TUN fd, an AF_XDP socket, a Wintun session).
/// <para>
/// Threading: exactly one thread calls <see cref="Read"/>. <see cref="Write"/>, <see cref="WriteGso"/> and
/// <see cref="Flush"/> form the write path and are called by one thread at a time (the runner guarantees it);
/// <see cref="WriteFromSelf"/> uses scratch state of its own and may run at the same time as the write path.
/// <see cref="Close"/> may be called from any thread at any time.
/// </para>
/// Per-packet failures are returned as a <see cref="DropReason"/>, never thrown; exceptions are reserved for
/// a device that is gone (after which the queue is unusable).
/// </summary>
public interface IQueue : IDisposable
{
    /// <summary>This queue's index within its container.</summary>
    int Index { get; }

    /// <summary>Whether <see cref="WriteGso"/> works and <see cref="Write"/> accepts superpackets.</summary>
    bool GsoSupported { get; }

    /// <summary>
    /// Empties <paramref name="batch"/> and fills it with at least one packet, blocking while the device has
    /// none (a stage's own source may also return it empty when woken: see <see cref="IStageSource"/>). The packets' bytes are borrowed from the queue's own buffers (no copy, no allocation) and are
    /// valid until the next <see cref="Read"/> or <see cref="Close"/>. Input the queue refuses is counted in
    /// <see cref="PacketBatch.ReadDrops"/>. Returns false once the queue is closed.
    /// </summary>
    bool Read(PacketBatch batch);

    /// <summary>
    /// Delivers one packet toward the device (the outside → inside path). A superpacket (see
    /// <see cref="Packet.Gso"/>) may only be written when <see cref="GsoSupported"/>. The queue may write the
    /// device's own header into the packet's headroom, and may hold the packet to coalesce it with the next
    /// ones until <see cref="Flush"/>: the caller keeps the bytes valid until then.
    /// </summary>
    /// <returns><see cref="DropReason.None"/> when accepted, otherwise why it was dropped.</returns>
    DropReason Write(in Packet packet);

    /// <summary>
    /// Delivers a packet the router made itself (a reject reply, a hairpinned packet) using scratch state
    /// separate from <see cref="Write"/>, so both may run at once. Written immediately, never held.
    /// </summary>
    DropReason WriteFromSelf(in Packet packet);

    /// <summary>
    /// Writes one superpacket assembled from a header prefix and borrowed payload fragments in a single
    /// vectored write. <paramref name="header"/> holds the IP and L4 headers with lengths filled in and, per
    /// virtio NEEDS_CSUM semantics, the L4 checksum field holding the folded, non-inverted pseudo-header sum.
    /// The fragments' concatenation is the payload; every segment but the last carries exactly
    /// <see cref="GsoInfo.SegmentSize"/> bytes. Part of the write path; only valid when <see cref="GsoSupported"/>.
    /// </summary>
    DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso);

    /// <summary>
    /// Ends a burst of writes: anything held for coalescing is written now. Packets that were accepted by
    /// <see cref="Write"/> but refused by the device now are counted in <paramref name="drops"/>, by reason.
    /// </summary>
    void Flush(DropTally drops);

    /// <summary>
    /// Closes the queue for reading: a blocked <see cref="Read"/> wakes and returns false, and so does every
    /// later one. Idempotent and thread-safe. Releasing the device happens in <see cref="IDisposable.Dispose"/>,
    /// after the reader has left.
    /// </summary>
    void Close();
}
