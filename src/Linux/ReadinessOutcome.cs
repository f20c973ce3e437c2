namespace RouterHost.Linux;

/// <summary>How a <see cref="ReadinessWait.Wait"/> ended.</summary>
public enum ReadinessOutcome
{
    /// <summary>The descriptor reported <c>POLLIN</c> (its other events are in <see cref="Readiness.Events"/>).</summary>
    Readable,

    /// <summary>The close eventfd was signalled; checked first, so it wins over anything the descriptor reported.</summary>
    Closed,

    /// <summary>The timeout passed with neither descriptor ready.</summary>
    TimedOut,

    /// <summary>
    /// The descriptor reported <c>POLLERR</c>, <c>POLLHUP</c> or <c>POLLNVAL</c> without <c>POLLIN</c>; which, is in
    /// <see cref="Readiness.Events"/>.
    /// </summary>
    Error,

    /// <summary><c>poll</c> itself failed (not with <c>EINTR</c>, which is retried); the errno is in <see cref="Readiness.ErrorNumber"/>.</summary>
    Failed,
}
