using RouterHost.Abstractions;

namespace RouterHost.Plugins.AfXdp;

/// <summary>Why the AF_XDP backend refused a frame or a packet (receive path, send path, and the kernel's own counts).</summary>
internal static class AfXdpDropReasons
{
    /// <summary>An RX descriptor whose address lies outside the receive frames, or names a frame the kernel did not hold.</summary>
    public static readonly DropReason BadDescriptor = DropReason.Register("afxdp.rx.bad_descriptor");

    /// <summary>An RX descriptor whose length is zero or runs past the end of its frame.</summary>
    public static readonly DropReason BadDescriptorLength = DropReason.Register("afxdp.rx.bad_length");

    /// <summary>An RX descriptor continued in another (multi-buffer frame, never asked for).</summary>
    public static readonly DropReason MultiBuffer = DropReason.Register("afxdp.rx.multi_buffer");

    /// <summary>A frame shorter than an Ethernet header.</summary>
    public static readonly DropReason Runt = DropReason.Register("afxdp.rx.runt");

    /// <summary>A unicast frame addressed to another station.</summary>
    public static readonly DropReason NotForUs = DropReason.Register("afxdp.rx.not_for_us");

    /// <summary>An ethertype other than IPv4 or IPv6 (the XDP program passes ARP, VLAN and the rest to the kernel).</summary>
    public static readonly DropReason WrongEthertype = DropReason.Register("afxdp.rx.wrong_ethertype");

    /// <summary>The IP version nibble disagrees with the ethertype.</summary>
    public static readonly DropReason IpVersionMismatch = DropReason.Register("afxdp.rx.ip_version_mismatch");

    /// <summary>An IP header or IP length that does not fit in the frame.</summary>
    public static readonly DropReason TruncatedIp = DropReason.Register("afxdp.rx.truncated_ip");

    /// <summary>XDP_STATISTICS rx_dropped: the kernel dropped frames for this socket (no fill ring entry, too large for a frame).</summary>
    public static readonly DropReason KernelRxDropped = DropReason.Register("afxdp.kernel.rx_dropped");

    /// <summary>XDP_STATISTICS rx_ring_full: the kernel dropped frames because the RX ring was full (RouterHost read too slowly).</summary>
    public static readonly DropReason KernelRxRingFull = DropReason.Register("afxdp.kernel.rx_ring_full");

    /// <summary>XDP_STATISTICS rx_invalid_descs: fill ring entries the kernel refused.</summary>
    public static readonly DropReason KernelRxInvalidDescriptors = DropReason.Register("afxdp.kernel.rx_invalid_descs");

    /// <summary>XDP_STATISTICS tx_invalid_descs: TX descriptors the kernel refused.</summary>
    public static readonly DropReason KernelTxInvalidDescriptors = DropReason.Register("afxdp.kernel.tx_invalid_descs");

    /// <summary>Not an IPv4 or IPv6 packet, or shorter than its IP header.</summary>
    public static readonly DropReason TxMalformed = DropReason.Register("afxdp.tx.malformed");

    /// <summary>With its Ethernet header the packet does not fit in a frame.</summary>
    public static readonly DropReason LargerThanFrame = DropReason.Register("afxdp.tx.larger_than_frame");

    /// <summary>Longer than the device's MTU.</summary>
    public static readonly DropReason LargerThanMtu = DropReason.Register("afxdp.tx.larger_than_mtu");

    /// <summary>Every transmit frame was in flight (the device is not keeping up).</summary>
    public static readonly DropReason NoFreeFrame = DropReason.Register("afxdp.tx.no_free_frame");

    /// <summary>The TX ring had no room (only if the kernel misreports its consumer index).</summary>
    public static readonly DropReason TxRingFull = DropReason.Register("afxdp.tx.ring_full");

    /// <summary>The next hop's MAC is being resolved (the kernel was asked; packets meanwhile are dropped, as VPP does).</summary>
    public static readonly DropReason NeighbourUnresolved = DropReason.Register("afxdp.tx.neighbour_unresolved");

    /// <summary>The kernel could not resolve the next hop (no ARP / neighbour advertisement answered).</summary>
    public static readonly DropReason NeighbourFailed = DropReason.Register("afxdp.tx.neighbour_failed");

    /// <summary>A next-hop id the router's next-hop table does not know.</summary>
    public static readonly DropReason UnknownNextHop = DropReason.Register("afxdp.tx.unknown_next_hop");
}
