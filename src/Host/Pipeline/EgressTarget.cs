using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// One worker's way out to one interface: the queue it writes to (its own queue, through
/// <see cref="IQueue.WriteFromSelf"/>, when the interface is the one it reads), the gate if that queue is shared
/// with other writers, and the counters of what it sent.
/// </summary>
internal sealed class EgressTarget
{
    public EgressTarget(string interfaceName, IQueue queue, bool isSelf, WriteGate? gate)
    {
        InterfaceName = interfaceName;
        Queue = queue;
        IsSelf = isSelf;
        Gate = gate;
        GsoSupported = queue.GsoSupported;
    }

    /// <summary>The queue's <see cref="IQueue.GsoSupported"/>, read once (it does not change).</summary>
    public bool GsoSupported { get; }

    public string InterfaceName { get; }

    public IQueue Queue { get; }

    /// <summary>The worker reads this very queue: packets go out through WriteFromSelf, never held.</summary>
    public bool IsSelf { get; }

    public WriteGate? Gate { get; }

    public TrafficCounters Sent { get; } = new();

    /// <summary>Written to during the current batch: needs Flush (and gate release) at its end.</summary>
    public bool Touched { get; set; }
}
