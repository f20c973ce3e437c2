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
    long FragmentsMade = 0)
{
    /// <summary>What each counter counts, as the index of the workers' counts.</summary>
    internal enum Kind
    {
        TimeExceededSent,
        UnreachableSent,
        IcmpRateLimited,
        IcmpNoSourceAddress,
        IcmpNotAllowed,
        IcmpNoRoom,
        TooBigSent,
        EchoRepliesSent,
        PacketsFragmented,
        FragmentsMade,
    }

    /// <summary>How many kinds there are.</summary>
    internal const int KindCount = (int)Kind.FragmentsMade + 1;

    /// <summary>The counters from counts indexed by <see cref="Kind"/>.</summary>
    internal static RoutingCounters FromCounts(ReadOnlySpan<long> c) => new(
        c[(int)Kind.TimeExceededSent],
        c[(int)Kind.UnreachableSent],
        c[(int)Kind.IcmpRateLimited],
        c[(int)Kind.IcmpNoSourceAddress],
        c[(int)Kind.IcmpNotAllowed],
        c[(int)Kind.IcmpNoRoom],
        c[(int)Kind.TooBigSent],
        c[(int)Kind.EchoRepliesSent],
        c[(int)Kind.PacketsFragmented],
        c[(int)Kind.FragmentsMade]);
}
