namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>How the resolver treats neighbours (from the interface's <c>Neighbours</c> settings).</summary>
/// <param name="CacheSize">Directly connected destinations kept at most (next hops are always kept).</param>
/// <param name="RefreshMilliseconds">How often used neighbours are confirmed with the kernel (NTF_USE) and re-read.</param>
/// <param name="ResolveTimeoutMilliseconds">How long a resolution may take before the neighbour counts as failed.</param>
/// <param name="FailedRetryMilliseconds">How long a failed neighbour is not asked for again.</param>
/// <param name="IdleMilliseconds">A directly connected destination unused this long is forgotten.</param>
internal sealed record NeighbourOptions(int CacheSize, long RefreshMilliseconds, long ResolveTimeoutMilliseconds, long FailedRetryMilliseconds, long IdleMilliseconds)
{
    public static NeighbourOptions Default { get; } = new(4096, 5_000, 3_000, 1_000, 300_000);
}
