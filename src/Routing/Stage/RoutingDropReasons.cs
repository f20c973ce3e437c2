using RouterHost.Abstractions;

namespace RouterHost.Routing.Stage;

/// <summary>Why the Routing stage dropped a packet.</summary>
public static class RoutingDropReasons
{
    /// <summary>No route matches the destination (an ICMP destination-unreachable went back, rate permitting).</summary>
    public static DropReason NoRoute { get; } = DropReason.Register("routing.no_route");

    /// <summary>The TTL or hop limit ran out (an ICMP time-exceeded went back, rate permitting).</summary>
    public static DropReason TtlExceeded { get; } = DropReason.Register("routing.ttl_exceeded");

    /// <summary>A packet from a peer whose source address lies outside that peer's allowed prefixes (cryptokey routing).</summary>
    public static DropReason SourceNotAllowed { get; } = DropReason.Register("routing.source_not_allowed");

    /// <summary>
    /// Larger than its egress's MTU and not to be fragmented (IPv4 with DF, IPv6, a superpacket whose segments are
    /// too large): an ICMP fragmentation-needed / packet-too-big with the MTU went back, rate permitting.
    /// </summary>
    public static DropReason TooBig { get; } = DropReason.Register("routing.too_big");

    /// <summary>An IPv4 packet without DF larger than its egress's MTU, with fragmentation turned off (FragmentIPv4).</summary>
    public static DropReason TooBigNotFragmented { get; } = DropReason.Register("routing.too_big_not_fragmented");

    /// <summary>An IPv4 packet to fragment whose fragments did not fit in the batch's emit arena.</summary>
    public static DropReason FragmentationNoRoom { get; } = DropReason.Register("routing.fragmentation_no_room");

    /// <summary>
    /// Addressed to one of the router's own addresses and not an echo request: the router runs no other service on
    /// them, so it is neither forwarded nor answered.
    /// </summary>
    public static DropReason AddressedToRouter { get; } = DropReason.Register("routing.addressed_to_router");

    /// <summary>Not an IPv4 or IPv6 packet this router can route.</summary>
    public static DropReason NotIp { get; } = DropReason.Register("routing.not_ip");
}
