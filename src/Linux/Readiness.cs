namespace RouterHost.Linux;

/// <summary>What one <see cref="ReadinessWait.Wait"/> saw.</summary>
/// <param name="Outcome">How the wait ended.</param>
/// <param name="Events">The descriptor's <c>revents</c> from the last <c>poll</c> (0 when closed, timed out or failed).</param>
/// <param name="ErrorNumber">The errno when <c>poll</c> failed (<see cref="ReadinessOutcome.Failed"/>), else 0.</param>
public readonly record struct Readiness(ReadinessOutcome Outcome, short Events, int ErrorNumber);
