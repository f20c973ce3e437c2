using RouterHost.Abstractions;

namespace RouterHost.Samples.AfPacket;

/// <summary>Why the AF_PACKET backend refused a frame it read or a packet it was given to send.</summary>
internal static class AfPacketDropReasons
{
    /// <summary>A frame shorter than an Ethernet header, or a ring frame whose lengths do not fit in its block.</summary>
    public static readonly DropReason Runt = DropReason.Register("afpacket.rx.runt");

    /// <summary>The IP version nibble disagrees with the ethertype, or the IP header/length does not fit in the frame.</summary>
    public static readonly DropReason BadIp = DropReason.Register("afpacket.rx.bad_ip");

    /// <summary>A virtio-net header (PACKET_VNET_HDR) that does not agree with the packet it came with.</summary>
    public static readonly DropReason BadOffload = DropReason.Register("afpacket.rx.bad_offload");

    /// <summary>A frame larger than the MTU that cannot be carried as a superpacket (not TCP, or no partial checksum).</summary>
    public static readonly DropReason OversizeFrame = DropReason.Register("afpacket.rx.oversize");

    /// <summary>An ARP message that is not Ethernet/IPv4 or is truncated.</summary>
    public static readonly DropReason BadArp = DropReason.Register("afpacket.rx.bad_arp");

    /// <summary>A neighbour solicitation or advertisement that is malformed (hop limit, checksum, options).</summary>
    public static readonly DropReason BadNeighbourDiscovery = DropReason.Register("afpacket.rx.bad_neighbour_discovery");

    /// <summary>The kernel dropped frames for this socket because its ring was full (PACKET_STATISTICS tp_drops).</summary>
    public static readonly DropReason KernelRingFull = DropReason.Register("afpacket.kernel.ring_full");

    /// <summary>The next hop's MAC is not known yet: an ARP request was sent (or is pending) and the packet dropped.</summary>
    public static readonly DropReason NeighbourUnresolved = DropReason.Register("afpacket.tx.neighbour_unresolved");

    /// <summary>A gateway id the router's next-hop table does not know.</summary>
    public static readonly DropReason UnknownNextHop = DropReason.Register("afpacket.tx.unknown_next_hop");

    /// <summary>A packet that is not IPv4 or IPv6, or too short for its IP header.</summary>
    public static readonly DropReason TxMalformed = DropReason.Register("afpacket.tx.malformed");

    /// <summary>A packet larger than the device's MTU (and not a superpacket), or larger than the send buffer.</summary>
    public static readonly DropReason TxTooLarge = DropReason.Register("afpacket.tx.too_large");

    /// <summary>Offload metadata that cannot be written as a virtio-net header, or a checksum that cannot be finished.</summary>
    public static readonly DropReason TxBadOffload = DropReason.Register("afpacket.tx.bad_offload");

    /// <summary>The kernel refused the frame (sendmmsg failed for it: ENOBUFS, EMSGSIZE, ENETDOWN...).</summary>
    public static readonly DropReason SendFailed = DropReason.Register("afpacket.tx.send_failed");
}
