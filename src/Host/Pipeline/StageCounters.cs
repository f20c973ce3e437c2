using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// What one stage did on one thread. Single writer; see <see cref="TrafficCounters"/>. <see cref="In"/> is written last,
/// with release semantics, so a reader that reads it first never sees packets in that have no outcome yet.
/// </summary>
internal sealed class StageCounters
{
    public long In;
    public long Forwarded;
    public long ForwardedBytes;
    public long Consumed;
    public long Emitted;
    public long DroppedTotal;
    public long RejectedTotal;
    public readonly long[] Dropped = new long[DropReason.MaxReasons];
    public readonly long[] Rejected = new long[DropReason.MaxReasons];
}
