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
}
