namespace RouterHost.Firewall;

/// <summary>A snapshot of a <see cref="ConntrackTable"/>'s counters (summed over its stripes, not atomic as a whole).</summary>
/// <param name="Entries">Connections tracked now.</param>
/// <param name="Inserts">Connections recorded.</param>
/// <param name="Evictions">Live connections evicted to make room.</param>
/// <param name="Expirations">Connections removed because their timeout passed.</param>
/// <param name="Removals">Connections removed by <see cref="ConntrackTable.Revalidate"/>.</param>
/// <param name="Hits">Lookups that found a live connection.</param>
/// <param name="Misses">Lookups that did not.</param>
/// <param name="InsertFailures">Connections not recorded because the table was full.</param>
public readonly record struct ConntrackCounters(
    long Entries, long Inserts, long Evictions, long Expirations, long Removals, long Hits, long Misses, long InsertFailures);
