namespace RouterHost.Abstractions;

/// <summary>
/// Where packets come from: a backend's device queue (as part of <see cref="IQueue"/>) or a stage's own source, such
/// as a tunnel's UDP socket (see <see cref="IStageSource"/>).
/// <para>
/// Threading: exactly one thread calls <see cref="Read"/>. <see cref="Close"/> may be called from any thread at any
/// time. Input the reader refuses is counted, never thrown; exceptions are reserved for a device that is gone (after
/// which the reader is unusable).
/// </para>
/// </summary>
public interface IPacketReader : IDisposable
{
    /// <summary>This reader's index within its container (<see cref="IContainer.Queues"/>) or its stage's
    /// <see cref="IStageSource.Sources"/>.</summary>
    int Index { get; }

    /// <summary>
    /// Empties <paramref name="batch"/> and fills it with at least one packet, blocking while the device has none (a
    /// stage's own source may also return it empty when woken: see <see cref="IStageSource"/>). The packets' bytes are
    /// borrowed from the reader's own buffers (no copy, no allocation) and are valid until the next
    /// <see cref="Read"/> or <see cref="Close"/>. Input the reader refuses is counted in
    /// <see cref="PacketBatch.ReadDrops"/>. Returns false once the reader is closed.
    /// </summary>
    bool Read(PacketBatch batch);

    /// <summary>
    /// Closes the reader: a blocked <see cref="Read"/> wakes and returns false, and so does every later one.
    /// Idempotent and thread-safe. Releasing the device happens in <see cref="IDisposable.Dispose"/>, after the
    /// reader thread has left.
    /// </summary>
    void Close();
}
