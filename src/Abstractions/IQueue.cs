namespace RouterHost.Abstractions;

/// <summary>
/// One queue of a backend's device (a multi-queue TUN fd, an AF_XDP socket, a Wintun session): both where packets are
/// read (<see cref="IPacketReader"/>) and where they are written (<see cref="IPacketWriter"/>). A queue that takes
/// superpackets implements <see cref="IGsoWriter"/> as well.
/// <para>
/// Threading: exactly one thread calls <see cref="IPacketReader.Read"/>. <see cref="IPacketWriter.Write"/> and
/// <see cref="IPacketWriter.Flush"/> form the write path and are called by one thread at a time (the runner
/// guarantees it); <see cref="WriteFromSelf"/> uses scratch state of its own and may run at the same time as the
/// write path. <see cref="IPacketReader.Close"/> may be called from any thread at any time.
/// </para>
/// Per-packet failures are returned as a <see cref="DropReason"/>, never thrown; exceptions are reserved for
/// a device that is gone (after which the queue is unusable).
/// </summary>
public interface IQueue : IPacketReader, IPacketWriter
{
    /// <summary>
    /// Delivers a packet the router made itself (a reject reply, a hairpinned packet) using scratch state
    /// separate from <see cref="IPacketWriter.Write"/>, so both may run at once. Written immediately, never held.
    /// </summary>
    DropReason WriteFromSelf(in Packet packet);
}
