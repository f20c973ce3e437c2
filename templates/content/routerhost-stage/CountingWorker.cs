using RouterHost.Abstractions;

namespace RouterHostStage1;

/// <summary>
/// One lane's worker: counts the packets of every batch its lane carries and drops those longer than the stage's
/// <see cref="CountingStage.MaxLength"/>; every other packet passes on untouched (the next stage, or routing, decides
/// where it goes).
/// </summary>
/// <remarks>
/// The data path's rules hold in <see cref="Process"/>: it runs on this lane's thread only, for every batch, so it
/// takes no lock, allocates nothing, throws nothing and uses no LINQ or async. Packet bytes are borrowed: valid until
/// the lane reads its next batch. The counters are written by this thread alone and published once per batch with
/// <see cref="Volatile.Write(ref long, long)"/> for <see cref="CountingStage.WriteStatus"/> to read.
/// </remarks>
internal sealed class CountingWorker(CountingStage stage) : IStageWorker
{
    /// <summary>Registered once, at startup: a drop reason per cause, counted by the host and shown by <c>routerhost show</c>.</summary>
    private static readonly DropReason TooLong = DropReason.Register("RouterHostStage1.too_long");

    private readonly int _maxLength = stage.MaxLength;
    private long _packets;
    private long _dropped;

    /// <summary>Packets this worker has seen.</summary>
    public long Packets => Volatile.Read(ref _packets);

    /// <summary>Packets this worker dropped as too long.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Counts <paramref name="batch"/>'s packets and drops the ones longer than the limit.</summary>
    public void Process(PacketBatch batch)
    {
        Span<Packet> packets = batch.AsSpan();
        long dropped = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet packet = ref packets[i];
            if (packet.Length > _maxLength)
            {
                packet.Drop(TooLong);
                dropped++;
            }
        }

        Volatile.Write(ref _packets, _packets + packets.Length);
        Volatile.Write(ref _dropped, _dropped + dropped);
    }

    /// <summary>Called once when the router stops, after the lane's last batch.</summary>
    public void Dispose()
    {
    }
}
