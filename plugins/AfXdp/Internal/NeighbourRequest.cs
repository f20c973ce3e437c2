namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>A data path's request to resolve a neighbour: a next-hop id, or (id 0) a destination address.</summary>
/// <param name="NextHop">The next-hop id, or 0 for a directly connected destination.</param>
/// <param name="Family">4 or 6 (for a destination).</param>
/// <param name="Address">The destination (IPv4 in the low 32 bits).</param>
internal readonly record struct NeighbourRequest(int NextHop, byte Family, UInt128 Address);
