using System.Runtime.CompilerServices;
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
        _acceptedGso = AcceptedGsoTypes(queue);
    }

    /// <summary>The <see cref="GsoType"/>s (bit <c>1 &lt;&lt; type</c>) the queue's Write takes whole, asked once here.</summary>
    private readonly ulong _acceptedGso;

    public string InterfaceName { get; }

    public IQueue Queue { get; }

    /// <summary>The worker reads this very queue: packets go out through WriteFromSelf, never held.</summary>
    public bool IsSelf { get; }

    public WriteGate? Gate { get; }

    public TrafficCounters Sent { get; } = new();

    /// <summary>Written to during the current batch: needs Flush (and gate release) at its end.</summary>
    public bool Touched { get; set; }

    /// <summary>
    /// Whether the queue's <see cref="IPacketWriter.Write"/> takes a superpacket of <paramref name="type"/> whole (the
    /// queue is an <see cref="IGsoWriter"/> that accepts it); otherwise the lane segments it first. No type test per
    /// packet: the answer was asked once, when the lane was planned.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool AcceptsGso(GsoType type) => (uint)type < 64 && (_acceptedGso & (1UL << (int)type)) != 0;

    /// <summary>The superpacket types <paramref name="queue"/> accepts, as a bit mask (types 1 to 63; none if it is no <see cref="IGsoWriter"/>).</summary>
    internal static ulong AcceptedGsoTypes(IQueue queue)
    {
        if (queue is not IGsoWriter writer)
        {
            return 0;
        }

        ulong mask = 0;
        foreach (GsoType type in Enum.GetValues<GsoType>())
        {
            if (type != GsoType.None && (uint)type < 64 && writer.AcceptsGso(type))
            {
                mask |= 1UL << (int)type;
            }
        }

        return mask;
    }
}
