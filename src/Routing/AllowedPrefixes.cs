using System.Runtime.CompilerServices;
using RouterHost.Abstractions;

namespace RouterHost.Routing;

/// <summary>
/// Cryptokey routing's allowed prefixes (WireGuard's allowed IPs), as an immutable snapshot: each prefix belongs
/// to one peer; a packet from a peer is accepted iff the longest prefix containing its source belongs to that
/// peer, and a destination is sent to the peer owning its longest matching prefix. Built by
/// <see cref="AllowedPrefixesBuilder"/> on the same trie as <see cref="RoutingTable"/>; lookups allocate nothing.
/// </summary>
public sealed class AllowedPrefixes
{
    private readonly RoutingTable _table;

    internal AllowedPrefixes(RoutingTable table) => _table = table;

    /// <summary>An empty set: no source is allowed from any peer.</summary>
    public static AllowedPrefixes Empty { get; } = new(RoutingTable.Empty);

    /// <summary>How many prefixes are allowed, over all peers.</summary>
    public int Count => _table.PrefixCount;

    internal RoutingTable Table => _table;

    /// <summary>Whether <paramref name="sourceAddress"/> (4 or 16 bytes) is inside <paramref name="peer"/>'s allowed prefixes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(PortId peer, ReadOnlySpan<byte> sourceAddress) =>
        _table.TryLookup(sourceAddress, 0, out RouteTarget target) && target.Port == peer && !peer.IsNone;

    /// <summary>Whether the IPv4 source (host order) is inside the peer's allowed prefixes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(PortId peer, uint sourceAddress) =>
        _table.TryLookup(sourceAddress, 0, out RouteTarget target) && target.Port == peer && !peer.IsNone;

    /// <summary>Whether the IPv6 source is inside the peer's allowed prefixes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Contains(PortId peer, UInt128 sourceAddress) =>
        _table.TryLookup(sourceAddress, 0, out RouteTarget target) && target.Port == peer && !peer.IsNone;

}
