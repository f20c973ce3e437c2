using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Routing.Internal;

namespace RouterHost.Routing;

/// <summary>
/// An immutable routing table snapshot: longest-prefix match over IPv4 and IPv6, lowest metric among routes to
/// the matched prefix, and an ECMP member chosen by flow hash (rendezvous hashing: the same hash always takes
/// the same member, and removing a member moves only its own flows). Lookups allocate nothing, take no locks,
/// never throw and may run on any number of threads. Built by <see cref="RoutingTableBuilder"/>; publish a new
/// one with <see cref="Volatile.Write{T}(ref T, T)"/> while lookups continue on the old one.
/// </summary>
public sealed class RoutingTable
{
    private readonly TrieSnapshot _v4;
    private readonly TrieSnapshot _v6;
    private readonly RouteGroup[][] _pages;

    internal RoutingTable(TrieSnapshot v4, TrieSnapshot v6, GroupSnapshot groups, int routeCount, NextHopTable nextHops)
    {
        NextHops = nextHops;
        _v4 = v4;
        _v6 = v6;
        Groups = groups;
        _pages = groups.Pages;
        RouteCount = routeCount;
    }

    /// <summary>A table with no routes.</summary>
    public static RoutingTable Empty { get; } = new RoutingTableBuilder().Build();

    /// <summary>Where the gateways of this table's routes are interned (<see cref="RouteTarget.NextHop"/> ids).</summary>
    public NextHopTable NextHops { get; }

    /// <summary>How many routes the table holds.</summary>
    public int RouteCount { get; }

    /// <summary>How many distinct prefixes the table holds.</summary>
    public int PrefixCount => Groups.Count;

    /// <summary>An estimate of the bytes the lookup structures hold (tries and route groups), for sizing and reports.</summary>
    public long EstimatedBytes =>
        _v4.Bytes + _v6.Bytes + (_pages.Length * 8L) + (((Groups.HighWater + GroupStore.PageMask) >> GroupStore.PageBits) * (long)GroupStore.PageSize * Unsafe.SizeOf<RouteGroup>());

    internal TrieSnapshot IPv4Trie => _v4;

    internal TrieSnapshot IPv6Trie => _v6;

    internal GroupSnapshot Groups { get; }

    /// <summary>Looks up a destination given as 4 (IPv4) or 16 (IPv6) bytes; any other length finds nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(ReadOnlySpan<byte> destinationAddress, uint flowHash, out RouteTarget target)
    {
        if (destinationAddress.Length == 4)
        {
            return Resolve(_v4.LookupIPv4(BinaryPrimitives.ReadUInt32BigEndian(destinationAddress)), flowHash, out target);
        }

        if (destinationAddress.Length == 16)
        {
            return Resolve(
                _v6.LookupIPv6(BinaryPrimitives.ReadUInt64BigEndian(destinationAddress), BinaryPrimitives.ReadUInt64BigEndian(destinationAddress[8..])),
                flowHash,
                out target);
        }

        target = default;
        return false;
    }

    /// <summary>Looks up an IPv4 destination in host order (<c>0x0A000001</c> is 10.0.0.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(uint destination, uint flowHash, out RouteTarget target) =>
        Resolve(_v4.LookupIPv4(destination), flowHash, out target);

    /// <summary>Looks up an IPv6 destination given as its 16 bytes read big-endian.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryLookup(UInt128 destination, uint flowHash, out RouteTarget target) =>
        Resolve(_v6.LookupIPv6((ulong)(destination >> 64), (ulong)destination), flowHash, out target);

    /// <summary>
    /// A new snapshot with <paramref name="changes"/> applied; this one is unchanged. It seeds a builder from this
    /// table (O(prefixes) to index them, the tries are shared), so a router that updates often should keep one
    /// <see cref="RoutingTableBuilder"/> instead, whose builds cost only what changed.
    /// </summary>
    public RoutingTable With(IEnumerable<RouteChange> changes)
    {
        var builder = new RoutingTableBuilder(this);
        builder.Apply(changes);
        return builder.Build();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Resolve(uint leaf, uint flowHash, out RouteTarget target)
    {
        if (leaf == 0)
        {
            target = default;
            return false;
        }

        int index = (int)(leaf >> 8) - 1;
        RouteGroup[] page = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pages), index >> GroupStore.PageBits);
        ref RouteGroup group = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(page), index & GroupStore.PageMask);
        if (group.MemberCount == 1)
        {
            target = group.First;
        }
        else
        {
            target = group.All![EcmpSelector.Select(group.All, group.MemberCount, flowHash)];
        }

        return true;
    }
}
