using System.Runtime.CompilerServices;
using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// How a packet leaves the router at the end of its walk through the chain — the one way out, for ordinary packets
/// and superpackets alike, chosen by <see cref="WayOuts.Choose"/> and carried out by the lane
/// (<see cref="QueueWorker"/>):
/// <list type="bullet">
/// <item>an interface egress is written to the lane's queue for that interface (<see cref="Interface"/>); a
/// superpacket to a queue that does not take its type whole (no <see cref="IGsoWriter"/> accepting its
/// <see cref="GsoInfo.Type"/>, asked once per queue by <see cref="EgressTarget"/>) is first split by the lane into ordinary packets
/// (<see cref="SegmentForInterface"/>, through <see cref="RouterHost.Packets.SegmentScratch"/>) — stages never
/// segment for an interface, and an <see cref="IGsoWriter"/> that accepts the type takes the superpacket whole;</item>
/// <item>a peer egress is handed to the stage that owns the peer (<see cref="PeerOwner"/>: the stage that
/// registered it with <c>IPortRegistry.AddPeer</c>), walking outbound on the same lane; that stage puts the
/// packet on its own wire — a tunnel stage segments a superpacket itself, since each segment is encrypted on its
/// own — and sends what it queued when the runner ends the batch (<see cref="IStageWorker.EndBatch"/>);</item>
/// <item>anything else is a drop: <see cref="NoEgress"/> (<c>no_egress</c>) or <see cref="Unavailable"/>
/// (<c>egress_unavailable</c>).</item>
/// </list>
/// </summary>
internal enum WayOut
{
    /// <summary>No egress was set: dropped as <c>no_egress</c>.</summary>
    NoEgress,

    /// <summary>An egress the lane cannot write to (not an interface or peer, or an interface it has no queue for).</summary>
    Unavailable,

    /// <summary>Written whole to the lane's queue for the egress interface.</summary>
    Interface,

    /// <summary>A superpacket for a queue that does not accept its type: segmented by the lane, then each segment written.</summary>
    SegmentForInterface,

    /// <summary>For a peer: turned around to the stage that owns it, walking outbound.</summary>
    PeerOwner,
}

/// <summary>Chooses the <see cref="WayOut"/> of a packet.</summary>
internal static class WayOuts
{
    /// <summary>
    /// The way out of <paramref name="packet"/> from a lane whose queue for each interface (by index) is in
    /// <paramref name="egress"/>; <paramref name="target"/> is that queue for an interface way out.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static WayOut Choose(in Packet packet, EgressTarget?[] egress, out EgressTarget? target)
    {
        target = null;
        PortId port = packet.Egress;
        switch (port.Kind)
        {
            case PortKind.Interface:
                int index = port.Index;
                target = (uint)index < (uint)egress.Length ? egress[index] : null;
                if (target is null)
                {
                    return WayOut.Unavailable;
                }

                return packet.Gso.IsSuperpacket && !target.AcceptsGso(packet.Gso.Type) ? WayOut.SegmentForInterface : WayOut.Interface;
            case PortKind.Peer:
                return WayOut.PeerOwner;
            default:
                return port.IsNone ? WayOut.NoEgress : WayOut.Unavailable;
        }
    }
}
