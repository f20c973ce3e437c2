namespace RouterHost.Abstractions;

/// <summary>
/// Where packets go: the write path of a backend's device queue (as part of <see cref="IQueue"/>).
/// <para>
/// Threading: <see cref="Write"/> and <see cref="Flush"/> form the write path and are called by one thread at a time
/// (the runner guarantees it). Per-packet failures are returned as a <see cref="DropReason"/>, never thrown.
/// </para>
/// </summary>
public interface IPacketWriter
{
    /// <summary>
    /// Delivers one packet toward the device (the outside → inside path). A superpacket (see <see cref="Packet.Gso"/>)
    /// is only written to a writer that is an <see cref="IGsoWriter"/> whose <see cref="IGsoWriter.AcceptsGso"/> takes
    /// its <see cref="GsoInfo.Type"/>; the host segments it first otherwise. The writer may write the device's own
    /// header into the packet's headroom, and may hold the packet to coalesce it with the next ones until
    /// <see cref="Flush"/>: the caller keeps the bytes valid until then.
    /// </summary>
    /// <returns><see cref="DropReason.None"/> when accepted, otherwise why it was dropped.</returns>
    DropReason Write(in Packet packet);

    /// <summary>
    /// Ends a burst of writes: anything held for coalescing is written now. Packets that were accepted by
    /// <see cref="Write"/> but refused by the device now are counted in <paramref name="drops"/>, by reason.
    /// </summary>
    void Flush(DropTally drops);
}
