namespace RouterHost.Routing.Stage;

/// <summary>What the Routing stage did besides forwarding (summed over its workers).</summary>
public readonly record struct RoutingCounters(
    long TimeExceededSent,
    long UnreachableSent,
    long IcmpRateLimited,
    long IcmpNoSourceAddress,
    long IcmpNotAllowed,
    long IcmpNoRoom,
    long TooBigSent = 0,
    long EchoRepliesSent = 0,
    long PacketsFragmented = 0,
    long FragmentsMade = 0);
