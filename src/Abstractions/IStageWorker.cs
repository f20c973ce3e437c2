namespace RouterHost.Abstractions;

/// <summary>
/// A stage's per-thread processor. <see cref="Process"/> runs on one thread only, on every batch that thread
/// carries, and must not block, allocate, take locks or throw per packet.
/// </summary>
public interface IStageWorker : IDisposable
{
    /// <summary>
    /// Processes a batch. Every packet in it walks <see cref="PacketBatch.Direction"/> and is still
    /// <see cref="PacketVerdict.Forward"/>. For each packet the stage may leave it to go on (optionally
    /// setting <see cref="Packet.Egress"/>), <see cref="Packet.Drop"/> it, <see cref="Packet.Reject"/> it
    /// (emitting the reply into <see cref="PacketBatch.Emitted"/>), or <see cref="Packet.Consume"/> it.
    /// It may also rewrite packets in place and emit packets of its own.
    /// </summary>
    void Process(PacketBatch batch);

    /// <summary>
    /// The end of a batch on this worker's lane: the runner calls it once after every batch the lane read (an empty
    /// one too: a source woken with nothing to read, see <see cref="IStageSource"/>), after every packet of it has
    /// left the chain and before the lane's own interface writes are flushed and its next read. A stage that queues
    /// sends of its own (a tunnel's UDP sockets) sends them here, so they leave once per batch, from the lane whose
    /// packets they are; the bytes of the batch's packets are still valid. The default does nothing.
    /// Must not block, allocate or throw per packet (a throw is counted as a stage fault).
    /// </summary>
    void EndBatch()
    {
    }
}
