namespace RouterHost.Pipeline;

/// <summary>
/// Which lane (runner thread) serves which queue, and which queue of every interface each lane writes to — computed
/// from queue numbers alone, before any thread or worker exists (<see cref="PipelineRunner"/> turns it into
/// <see cref="QueueWorker"/>s).
/// <para>
/// One lane per queue of every interface, in interface order, then one per source of every stage that has sources
/// (<see cref="RouterHost.Abstractions.IStageSource"/>), in chain order. A lane writes to an interface through the
/// queue whose position is its own queue's index modulo that interface's queue count (equal counts pair queues one
/// to one); a lane of an interface writes back to that interface through its own queue (written from self, never
/// shared). A queue that more than one lane writes to is <see cref="IsShared"/> (the runner gives it a
/// <see cref="WriteGate"/>). With CPUs to pin to, lane <c>n</c> gets CPU <c>cpus[n % cpus.Count]</c>.
/// </para>
/// </summary>
internal sealed class LanePlan
{
    private readonly bool[][] _shared;

    private LanePlan(IReadOnlyList<PlannedLane> lanes, bool[][] shared)
    {
        Lanes = lanes;
        _shared = shared;
    }

    /// <summary>Every lane, numbered from 0 in this order.</summary>
    public IReadOnlyList<PlannedLane> Lanes { get; }

    /// <summary>Whether more than one lane writes (the write path, not from self) to queue <paramref name="queue"/> of interface <paramref name="iface"/>.</summary>
    public bool IsShared(int iface, int queue) => _shared[iface][queue];

    /// <summary>
    /// Plans the lanes. <paramref name="interfaceQueues"/> holds, per interface, the <c>Index</c> of each of its queues
    /// in order; <paramref name="sources"/>, per stage source, the chain position of its stage and the source queue's
    /// <c>Index</c>; <paramref name="cpus"/> the CPUs lanes are pinned to (null or empty: none).
    /// </summary>
    public static LanePlan Compute(IReadOnlyList<IReadOnlyList<int>> interfaceQueues, IReadOnlyList<(int Stage, int QueueIndex)> sources, IReadOnlyList<int>? cpus = null)
    {
        int interfaces = interfaceQueues.Count;
        for (int e = 0; e < interfaces; e++)
        {
            if (interfaceQueues[e].Count == 0)
            {
                throw new ArgumentException($"interface {e} has no queue", nameof(interfaceQueues));
            }
        }

        var lanes = new List<PlannedLane>();
        for (int i = 0; i < interfaces; i++)
        {
            IReadOnlyList<int> queues = interfaceQueues[i];
            for (int position = 0; position < queues.Count; position++)
            {
                var egress = new LaneEgress[interfaces];
                for (int e = 0; e < interfaces; e++)
                {
                    egress[e] = e == i ? new LaneEgress(position, IsSelf: true) : new LaneEgress(queues[position] % interfaceQueues[e].Count, IsSelf: false);
                }

                lanes.Add(new PlannedLane(lanes.Count, i, position, -1, -1, egress, CpuFor(lanes.Count, cpus)));
            }
        }

        for (int s = 0; s < sources.Count; s++)
        {
            var egress = new LaneEgress[interfaces];
            for (int e = 0; e < interfaces; e++)
            {
                egress[e] = new LaneEgress(sources[s].QueueIndex % interfaceQueues[e].Count, IsSelf: false);
            }

            lanes.Add(new PlannedLane(lanes.Count, -1, -1, sources[s].Stage, s, egress, CpuFor(lanes.Count, cpus)));
        }

        var writers = new int[interfaces][];
        for (int e = 0; e < interfaces; e++)
        {
            writers[e] = new int[interfaceQueues[e].Count];
        }

        foreach (PlannedLane lane in lanes)
        {
            for (int e = 0; e < interfaces; e++)
            {
                if (!lane.Egress[e].IsSelf)
                {
                    writers[e][lane.Egress[e].Queue]++;
                }
            }
        }

        var shared = new bool[interfaces][];
        for (int e = 0; e < interfaces; e++)
        {
            shared[e] = new bool[writers[e].Length];
            for (int q = 0; q < writers[e].Length; q++)
            {
                shared[e][q] = writers[e][q] > 1;
            }
        }

        return new LanePlan(lanes, shared);
    }

    private static int? CpuFor(int lane, IReadOnlyList<int>? cpus) => cpus is { Count: > 0 } ? cpus[lane % cpus.Count] : null;
}

/// <summary>
/// One lane of a <see cref="LanePlan"/>: it reads queue <see cref="Queue"/> (a position) of interface
/// <see cref="Interface"/>, or, when <see cref="Interface"/> is -1, source <see cref="Source"/> (counted over every
/// stage's sources in chain order) of the stage at chain position <see cref="Stage"/>.
/// </summary>
/// <param name="Number">The lane number (what <c>IStage.CreateWorker</c> is given).</param>
/// <param name="Interface">The interface read, or -1 for a stage source.</param>
/// <param name="Queue">The position of the queue read in its interface, or -1.</param>
/// <param name="Stage">The chain position of the stage whose source is read, or -1.</param>
/// <param name="Source">Which stage source is read, or -1.</param>
/// <param name="Egress">Per interface, the queue this lane writes to.</param>
/// <param name="Cpu">The CPU the lane's thread pins itself to, or null.</param>
internal sealed record PlannedLane(int Number, int Interface, int Queue, int Stage, int Source, IReadOnlyList<LaneEgress> Egress, int? Cpu)
{
    /// <summary>Whether the lane reads a stage's own source rather than an interface's queue.</summary>
    public bool IsStageSource => Interface < 0;
}

/// <summary>Where a lane writes to one interface: the queue's position, and whether it is the lane's own queue (written from self).</summary>
/// <param name="Queue">The queue's position in the interface's container.</param>
/// <param name="IsSelf">The lane reads this very queue.</param>
internal readonly record struct LaneEgress(int Queue, bool IsSelf);
