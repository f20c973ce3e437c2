using RouterHost.Abstractions;
using RouterHost.Pipeline;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// The one way out of a packet at the end of its walk: an interface's queue (segmented by the lane first when it is a
/// superpacket and the queue is no <see cref="IGsoWriter"/> that accepts its type), the stage that owns a peer, or a
/// counted drop.
/// </summary>
public sealed class WayOutTests
{
    private static readonly EndBatchTests.GsoQueue TcpOnly = new(GsoType.TcpV4, GsoType.TcpV6);

    private static readonly EgressTarget?[] Egress =
    [
        new EgressTarget("plain", new EndBatchTests.NoQueue(), isSelf: false, gate: null),
        new EgressTarget("gso", TcpOnly, isSelf: false, gate: null),
        null,
    ];

    private static Packet To(PortId egress, bool superpacket = false, GsoType type = GsoType.TcpV4) => new()
    {
        Egress = egress,
        Gso = superpacket ? new GsoInfo { Type = type, SegmentSize = 1000 } : default,
    };

    [Fact]
    public void An_interface_egress_goes_to_the_lanes_queue_for_it_and_a_superpacket_is_segmented_only_for_a_queue_without_gso()
    {
        Assert.Equal(WayOut.Interface, WayOuts.Choose(To(PortId.Interface(0)), Egress, out EgressTarget? target));
        Assert.Same(Egress[0], target);
        Assert.Equal(WayOut.SegmentForInterface, WayOuts.Choose(To(PortId.Interface(0), superpacket: true), Egress, out target));
        Assert.Same(Egress[0], target);
        Assert.Equal(WayOut.Interface, WayOuts.Choose(To(PortId.Interface(1), superpacket: true), Egress, out target));
        Assert.Same(Egress[1], target);
    }

    [Fact]
    public void A_gso_writer_takes_whole_only_the_superpacket_types_it_accepts_and_is_asked_once_not_per_packet()
    {
        int asked = TcpOnly.Asked;
        Assert.True(asked > 0);
        Assert.Equal(WayOut.Interface, WayOuts.Choose(To(PortId.Interface(1), superpacket: true, GsoType.TcpV6), Egress, out EgressTarget? target));
        Assert.Same(Egress[1], target);
        Assert.Equal(WayOut.SegmentForInterface, WayOuts.Choose(To(PortId.Interface(1), superpacket: true, GsoType.UdpL4), Egress, out target));
        Assert.Same(Egress[1], target);
        Assert.Equal(WayOut.Interface, WayOuts.Choose(To(PortId.Interface(1)), Egress, out _));
        Assert.Equal(asked, TcpOnly.Asked);
    }

    [Fact]
    public void A_peer_egress_superpacket_or_not_goes_to_the_stage_that_owns_the_peer()
    {
        Assert.Equal(WayOut.PeerOwner, WayOuts.Choose(To(PortId.Peer(4)), Egress, out EgressTarget? target));
        Assert.Null(target);
        Assert.Equal(WayOut.PeerOwner, WayOuts.Choose(To(PortId.Peer(4), superpacket: true), Egress, out _));
    }

    [Fact]
    public void No_egress_or_one_the_lane_cannot_reach_is_a_drop()
    {
        Assert.Equal(WayOut.NoEgress, WayOuts.Choose(To(PortId.None), Egress, out _));
        Assert.Equal(WayOut.Unavailable, WayOuts.Choose(To(PortId.Local), Egress, out _));
        Assert.Equal(WayOut.Unavailable, WayOuts.Choose(To(PortId.Interface(2)), Egress, out _));
        Assert.Equal(WayOut.Unavailable, WayOuts.Choose(To(PortId.Interface(9)), Egress, out _));
    }
}
