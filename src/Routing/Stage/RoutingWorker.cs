using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Routing.Stage;

/// <summary>
/// The Routing stage's per-thread processor. Per packet: parse (malformed → counted drop), the cryptokey check for
/// packets from peers, the longest-prefix lookup (ECMP by flow hash), local delivery (an echo request to one of the
/// router's own addresses is answered, anything else to them dropped), the TTL / hop-limit check, the egress's MTU
/// (ICMP fragmentation-needed / packet-too-big, or IPv4 fragmentation without DF), the decrement, and the egress. ICMP errors go back toward the sender as packets emitted outward with the sender's port as their
/// egress: to an interface they are written back on the queue the original came in on; to a peer they are
/// encrypted by the tunnel stage further out. Each routed packet carries its route's next hop
/// (<see cref="Packet.NextHop"/>: the gateway's id, 0 when directly connected). Packets that already carry an egress
/// (replies made by other stages) keep it, and get the next hop toward their destination when the route to it
/// leaves through that same interface. No allocation, lock or exception per packet.
/// </summary>
internal sealed class RoutingWorker(RoutingStage stage) : IStageWorker
{
    // Counters by RoutingCounters.Kind, read by the stage with Volatile.Read; written by this worker's thread only.
    public readonly long[] Counts = new long[RoutingCounters.KindCount];

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
            // The one parser; what it validated is then read at the header types' offsets (per packet: no view built).
            DropReason malformed = PacketParser.Parse(data, out PacketLayout layout);
            if (!malformed.IsNone)
            {
                p.Drop(malformed);
                continue;
            }

            bool v6 = layout.IsIPv6;
            ReadOnlySpan<byte> source = v6
                ? data.Slice(Ipv6Header.SourceOffset, Ipv6Header.AddressLength)
                : data.Slice(Ipv4Header.SourceOffset, Ipv4Header.AddressLength);
            ReadOnlySpan<byte> destination = v6
                ? data.Slice(Ipv6Header.DestinationOffset, Ipv6Header.AddressLength)
                : data.Slice(Ipv4Header.DestinationOffset, Ipv4Header.AddressLength);
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

            if (target.Port.Kind == PortKind.Local)
            {
                DeliverLocal(batch, ref p, layout, snapshot);
                continue;
            }

            // The router's own packets (Ingress Local) are not forwarded by it, so their TTL stays.
            bool forwarded = decrement && p.Ingress.Kind != PortKind.Local;
            if (forwarded && data[v6 ? Ipv6Header.HopLimitOffset : Ipv4Header.TimeToLiveOffset] <= 1)
            {
                SendError(batch, ref p, IcmpError.TimeExceeded, snapshot, v6);
                p.Drop(RoutingDropReasons.TtlExceeded);
                continue;
            }

            // A superpacket is judged by the packets it will be cut into: headers plus one segment.
            int mtu = snapshot.MtuOf(target.Port);
            int size = p.Gso.IsSuperpacket ? p.Gso.HeaderLength + p.Gso.SegmentSize : layout.PacketLength;
            bool fragment = false;
            if (mtu != 0 && size > mtu)
            {
                if (v6 || p.Gso.IsSuperpacket || p.Gso.NeedsChecksum || (BinaryPrimitives.ReadUInt16BigEndian(data[Ipv4Header.FlagsOffset..]) & Ipv4Header.DontFragmentFlag) != 0)
                {
                    SendError(batch, ref p, IcmpError.PacketTooBig, snapshot, v6, mtu);
                    p.Drop(RoutingDropReasons.TooBig);
                    continue;
                }

                if (!snapshot.Settings.FragmentIPv4)
                {
                    SendError(batch, ref p, IcmpError.PacketTooBig, snapshot, v6, mtu);
                    p.Drop(RoutingDropReasons.TooBigNotFragmented);
                    continue;
                }

                fragment = true;
            }

            if (forwarded)
            {
                if (v6)
                {
                    data[Ipv6Header.HopLimitOffset]--;
                }
                else
                {
                    IncrementalChecksum.DecrementTtl(data);
                }
            }

            p.Egress = target.Port;
            p.NextHop = target.NextHop;
            if (fragment)
            {
                Fragment(batch, ref p, layout.PacketLength, mtu);
            }
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
        ReadOnlySpan<byte> destination = IpPacket.DestinationOf(packet);
        return !destination.IsEmpty && table.TryLookup(destination, flowHash, out RouteTarget target) && target.Port == egress
            ? target.NextHop
            : 0;
    }

    /// <summary>
    /// A packet to one of the router's own addresses: an echo request is answered (the reply goes back toward the
    /// sender like an ICMP error), anything else is dropped; neither is forwarded.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void DeliverLocal(PacketBatch batch, ref Packet request, in PacketLayout layout, RoutingSnapshot snapshot)
    {
        ReadOnlySpan<byte> data = request.Data;
        if (!IcmpEchoReplyBuilder.IsEchoRequest(data, layout) || request.Ingress.Kind is not (PortKind.Interface or PortKind.Peer))
        {
            request.Drop(RoutingDropReasons.AddressedToRouter);
            return;
        }

        PacketBatch? emitted = batch.Emitted(PacketDirection.Outbound);
        if (emitted is null || !emitted.TryAppendOwned(IcmpEchoReplyBuilder.ReplyLength(layout), out int index))
        {
            request.Drop(IcmpErrorBuilder.NoRoom);
            return;
        }

        ref Packet reply = ref emitted[index];
        DropReason refused = IcmpEchoReplyBuilder.Build(data, layout, reply.Data, out int written);
        if (!refused.IsNone)
        {
            reply.Drop(refused);
            request.Drop(refused);
            return;
        }

        reply.TrySetLength(written);
        reply.Ingress = PortId.Local;
        reply.Egress = request.Ingress;
        reply.NextHop = NextHopToward(snapshot.Table, reply.Data, reply.Egress, request.FlowHash);
        reply.IngressQueue = request.IngressQueue;
        request.Consume();
        Counts[(int)RoutingCounters.Kind.EchoRepliesSent]++;
    }

    /// <summary>
    /// Splits an IPv4 packet without DF that is larger than its egress's <paramref name="mtu"/>: the packet itself
    /// becomes the first fragment, the others are written into the emit arena of the batch's own direction, with the
    /// same ingress, egress and next hop, so they walk the rest of the chain as it does. All or nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Fragment(PacketBatch batch, ref Packet p, int packetLength, int mtu)
    {
        Span<byte> data = p.Data;
        PacketBatch? emitted = batch.Emitted(batch.Direction);
        if (emitted is null || !Ipv4Fragmenter.TryPlan(data, packetLength, mtu, out Ipv4FragmentPlan plan))
        {
            p.Drop(RoutingDropReasons.FragmentationNoRoom);
            return;
        }

        int first = emitted.Count;
        for (int k = 1; k < plan.Count; k++)
        {
            if (!emitted.TryAppendOwned(Ipv4Fragmenter.LaterFragmentLength(packetLength, plan, k), out int index))
            {
                // Not every fragment fits: none is sent (the receiver could not reassemble the datagram anyway).
                for (int j = first; j < emitted.Count; j++)
                {
                    emitted[j].Drop(RoutingDropReasons.FragmentationNoRoom);
                }

                p.Drop(RoutingDropReasons.FragmentationNoRoom);
                return;
            }

            ref Packet fragment = ref emitted[index];
            Ipv4Fragmenter.WriteLaterFragment(data, packetLength, plan, k, fragment.Data);
            fragment.Ingress = p.Ingress;
            fragment.IngressQueue = p.IngressQueue;
            fragment.Egress = p.Egress;
            fragment.NextHop = p.NextHop;
            fragment.FlowHash = p.FlowHash;
        }

        p.TrySetLength(Ipv4Fragmenter.MakeFirstFragment(data, plan));
        Counts[(int)RoutingCounters.Kind.PacketsFragmented]++;
        Counts[(int)RoutingCounters.Kind.FragmentsMade] += plan.Count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void SendError(PacketBatch batch, ref Packet original, IcmpError error, RoutingSnapshot snapshot, bool v6, int mtu = 0)
    {
        // Never about the router's own packets, and only where the sender can be reached.
        if (!snapshot.Settings.IcmpErrors || original.Ingress.Kind is not (PortKind.Interface or PortKind.Peer))
        {
            return;
        }

        ReadOnlySpan<byte> data = original.Data;
        ReadOnlySpan<byte> source = v6 ? snapshot.IcmpSource6 : snapshot.IcmpSource4;
        if (source.IsEmpty)
        {
            if (error != IcmpError.PacketTooBig)
            {
                Counts[(int)RoutingCounters.Kind.IcmpNoSourceAddress]++;
                return;
            }

            // Without an address of its own the router still must not black-hole path MTU discovery: it answers from
            // the original destination, as a reject does (the sender's stack takes the MTU from the quoted packet).
            source = IpPacket.DestinationOf(data);
        }

        if (!IcmpErrorBuilder.Plan(data, out int length).IsNone)
        {
            Counts[(int)RoutingCounters.Kind.IcmpNotAllowed]++;
            return;
        }

        if (!stage.IcmpLimit.TryAcquire())
        {
            Counts[(int)RoutingCounters.Kind.IcmpRateLimited]++;
            return;
        }

        PacketBatch? emitted = batch.Emitted(PacketDirection.Outbound);
        if (emitted is null || !emitted.TryAppendOwned(length, out int index))
        {
            Counts[(int)RoutingCounters.Kind.IcmpNoRoom]++;
            return;
        }

        ref Packet reply = ref emitted[index];
        if (!IcmpErrorBuilder.Build(data, error, source, reply.Data, out int written, mtu).IsNone)
        {
            reply.Drop(IcmpErrorBuilder.NoRoom);
            Counts[(int)RoutingCounters.Kind.IcmpNoRoom]++;
            return;
        }

        reply.TrySetLength(written);
        reply.Ingress = PortId.Local;
        reply.Egress = original.Ingress;
        reply.NextHop = NextHopToward(snapshot.Table, reply.Data, reply.Egress, original.FlowHash);
        reply.IngressQueue = original.IngressQueue;
        if (error == IcmpError.TimeExceeded)
        {
            Counts[(int)RoutingCounters.Kind.TimeExceededSent]++;
        }
        else if (error == IcmpError.PacketTooBig)
        {
            Counts[(int)RoutingCounters.Kind.TooBigSent]++;
        }
        else
        {
            Counts[(int)RoutingCounters.Kind.UnreachableSent]++;
        }
    }
}
