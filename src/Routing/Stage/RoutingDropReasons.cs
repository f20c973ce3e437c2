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

    /// <summary>Not an IPv4 or IPv6 packet this router can route.</summary>
    public static DropReason NotIp { get; } = DropReason.Register("routing.not_ip");
}
