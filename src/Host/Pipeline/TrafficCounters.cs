using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// Packets, bytes and drops by reason of one queue direction, written by one thread only (plain increments)
/// and read by metrics collection (aligned 64-bit reads are atomic on the platforms we run on).
/// </summary>
internal sealed class TrafficCounters
{
    public long Packets;
    public long Bytes;
    public long DropTotal;
    public readonly long[] Drops = new long[DropReason.MaxReasons];

    public void AddDrop(DropReason reason, long count = 1)
    {
        Drops[reason.Id] += count;
        DropTotal += count;
    }
}
