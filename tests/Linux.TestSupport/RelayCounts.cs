namespace RouterHost.Linux.TestSupport;

/// <summary>
/// What an <see cref="ImpairmentRelay"/> did to the datagrams going one way. Every datagram received ends as exactly
/// one of: lost, without a return path, sent (with its duplicate, if any), or failed to send. Corrupted and duplicated
/// count datagrams the kernel accepted for sending, so the receiver saw each of them unless the path after the relay
/// lost it.
/// </summary>
/// <param name="Received">Datagrams read from this direction's socket.</param>
/// <param name="Passed">Datagrams the filter kept from impairment, forwarded untouched and at once.</param>
/// <param name="Lost">Datagrams dropped on purpose.</param>
/// <param name="Corrupted">Corrupted datagrams sent.</param>
/// <param name="Duplicated">Extra copies sent (one per duplicated datagram).</param>
/// <param name="Delayed">Copies held for a delay.</param>
/// <param name="Reordered">Datagrams sent after one that arrived later.</param>
/// <param name="HoldRefused">Copies meant to be held that went at once: the hold queue was full or the datagram larger than a slot.</param>
/// <param name="Sent">Datagrams (copies included) the kernel accepted for sending.</param>
/// <param name="SendFailed">Sends the kernel refused.</param>
/// <param name="NoReturnPath">Datagrams toward a client before any client had sent one (dropped).</param>
/// <param name="ReceiveFailed">Reads that returned an error instead of a datagram.</param>
public readonly record struct RelayCounts(
    long Received,
    long Passed,
    long Lost,
    long Corrupted,
    long Duplicated,
    long Delayed,
    long Reordered,
    long HoldRefused,
    long Sent,
    long SendFailed,
    long NoReturnPath,
    long ReceiveFailed);
