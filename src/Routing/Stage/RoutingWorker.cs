using System.Runtime.CompilerServices;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Routing.Stage;

/// <summary>
/// The Routing stage's per-thread processor. Per packet: parse (malformed → counted drop), the cryptokey check for
/// packets from peers, the longest-prefix lookup (ECMP by flow hash), the TTL / hop-limit decrement, and the
/// egress. ICMP errors go back toward the sender as packets emitted outward with the sender's port as their
/// egress: to an interface they are written back on the queue the original came in on; to a peer they are
/// encrypted by the tunnel stage further out. Each routed packet carries its route's next hop
/// (<see cref="Packet.NextHop"/>: the gateway's id, 0 when directly connected). Packets that already carry an egress
/// (replies made by other stages) keep it, and get the next hop toward their destination when the route to it
/// leaves through that same interface. No allocation, lock or exception per packet.
/// </summary>
internal sealed class RoutingWorker(RoutingStage stage) : IStageWorker
{
    // Counters, read by the stage with Volatile.Read; written by this worker's thread only.
    public long TimeExceededSent;
    public long UnreachableSent;
    public long IcmpRateLimited;
    public long IcmpNoSourceAddress;
    public long IcmpNotAllowed;
    public long IcmpNoRoom;

    public void Process(PacketBatch batch)
    {
        RoutingSnapshot? snapshot = stage.Snapshot;
        if (snapshot is null)
        {
            return;
        }

        RoutingTable table = snapshot.Table;
        bool decrement = snapshot.Settings.DecrementTtl;
        Span<Packet> packets = batch.AsSpan();
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet p = ref packets[i];
            if (!p.Egress.IsNone)
            {
                if (p.NextHop == 0 && p.Egress.Kind == PortKind.Interface)
                {
                    p.NextHop = NextHopToward(table, p.Data, p.Egress, p.FlowHash);
                }

                continue;
            }

            Span<byte> data = p.Data;
            DropReason malformed = PacketParser.Parse(data, out PacketLayout layout);
            if (!malformed.IsNone)
            {
                p.Drop(malformed);
                continue;
            }

            bool v6 = layout.IsIPv6;
            ReadOnlySpan<byte> source = v6 ? data.Slice(8, 16) : data.Slice(12, 4);
            ReadOnlySpan<byte> destination = v6 ? data.Slice(24, 16) : data.Slice(16, 4);
            if (p.Ingress.Kind == PortKind.Peer && !snapshot.Allowed.Contains(p.Ingress, source))
            {
                p.Drop(RoutingDropReasons.SourceNotAllowed);
                continue;
            }

            if (p.FlowHash == 0)
            {
                p.FlowHash = FlowHash.Compute(data, layout);
            }

            if (!table.TryLookup(destination, p.FlowHash, out RouteTarget target))
            {
                SendError(batch, ref p, IcmpError.NoRoute, snapshot, v6);
                p.Drop(RoutingDropReasons.NoRoute);
                continue;
            }

            // The router's own packets (Ingress Local) are not forwarded by it, so their TTL stays.
            if (decrement && p.Ingress.Kind != PortKind.Local)
            {
                int ttlOffset = v6 ? 7 : 8;
                if (data[ttlOffset] <= 1)
                {
                    SendError(batch, ref p, IcmpError.TimeExceeded, snapshot, v6);
                    p.Drop(RoutingDropReasons.TtlExceeded);
                    continue;
                }

                if (v6)
                {
                    data[7]--;
                }
                else
                {
                    IncrementalChecksum.DecrementTtl(data);
                }
            }

            p.Egress = target.Port;
            p.NextHop = target.NextHop;
        }
    }

    public void Dispose()
    {
    }

    /// <summary>
    /// The next hop of the route to <paramref name="packet"/>'s destination when that route leaves through
    /// <paramref name="egress"/> (a reply sent back where its original came from, to a sender behind a gateway);
    /// otherwise 0, the destination itself.
    /// </summary>
    private static int NextHopToward(RoutingTable table, ReadOnlySpan<byte> packet, PortId egress, uint flowHash)
    {
        if (packet.IsEmpty)
        {
            return 0;
        }

        int version = packet[0] >> 4;
        ReadOnlySpan<byte> destination = version == 4 && packet.Length >= 20 ? packet.Slice(16, 4)
            : version == 6 && packet.Length >= 40 ? packet.Slice(24, 16)
            : default;
        return !destination.IsEmpty && table.TryLookup(destination, flowHash, out RouteTarget target) && target.Port == egress
            ? target.NextHop
            : 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SendError(PacketBatch batch, ref Packet original, IcmpError error, RoutingSnapshot snapshot, bool v6)
    {
        // Never about the router's own packets, and only where the sender can be reached.
        if (!snapshot.Settings.IcmpErrors || original.Ingress.Kind is not (PortKind.Interface or PortKind.Peer))
        {
            return;
        }

        byte[] source = v6 ? snapshot.IcmpSource6 : snapshot.IcmpSource4;
        if (source.Length == 0)
        {
            IcmpNoSourceAddress++;
            return;
        }

        ReadOnlySpan<byte> data = original.Data;
        if (!IcmpErrorBuilder.Plan(data, out int length).IsNone)
        {
            IcmpNotAllowed++;
            return;
        }

        if (!stage.IcmpLimit.TryAcquire())
        {
            IcmpRateLimited++;
            return;
        }

        PacketBatch? emitted = batch.Emitted(PacketDirection.Outbound);
        if (emitted is null || !emitted.TryAppendOwned(length, out int index))
        {
            IcmpNoRoom++;
            return;
        }

        ref Packet reply = ref emitted[index];
        if (!IcmpErrorBuilder.Build(data, error, source, reply.Data, out int written).IsNone)
        {
            reply.Drop(IcmpErrorBuilder.NoRoom);
            IcmpNoRoom++;
            return;
        }

        reply.TrySetLength(written);
        reply.Ingress = PortId.Local;
        reply.Egress = original.Ingress;
        reply.NextHop = NextHopToward(snapshot.Table, reply.Data, reply.Egress, original.FlowHash);
        reply.IngressQueue = original.IngressQueue;
        if (error == IcmpError.TimeExceeded)
        {
            TimeExceededSent++;
        }
        else
        {
            UnreachableSent++;
        }
    }
}
