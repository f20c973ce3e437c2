using RouterHost.Routing.Internal;
using RouterHost.Settings;

namespace RouterHost.Routing;

/// <summary>
/// Builds <see cref="RoutingTable"/> snapshots off the data path. Keep one builder for the life of the router:
/// each <see cref="Build"/> costs only what changed since the last one (tries, groups and pages are shared with
/// earlier snapshots and copied on write), and earlier snapshots stay valid and unchanged for the lookups still
/// running on them. Not thread-safe: one control-plane thread at a time.
/// <para>
/// Validation happens here, with exceptions (control plane): prefixes are validated by <see cref="IpPrefix"/>
/// (host bits rejected), a route must name a port, a gateway must be an IP address.
/// </para>
/// </summary>
public sealed class RoutingTableBuilder
{
    /// <summary>Stride of the IPv6 trie levels below the 16-bit root (see docs/routing.md for the choice).</summary>
    internal const int IPv6Stride = 8;

    private readonly PrefixTrie _v4;
    private readonly PrefixTrie _v6;
    private readonly GroupStore _groups;
    private readonly Dictionary<IpPrefix, int> _prefixGroups;
    private readonly NextHopTable _nextHops;
    private readonly int[] _v4Lengths = new int[33];
    private readonly int[] _v6Lengths = new int[129];
    private int _routeCount;

    /// <summary>An empty builder with a next-hop table of its own.</summary>
    public RoutingTableBuilder()
        : this(new NextHopTable())
    {
    }

    /// <summary>
    /// An empty builder that interns its routes' gateways in <paramref name="nextHops"/> (the routing stage keeps one
    /// for the router's lifetime, so next-hop ids survive reloads).
    /// </summary>
    public RoutingTableBuilder(NextHopTable nextHops)
    {
        ArgumentNullException.ThrowIfNull(nextHops);
        _nextHops = nextHops;
        _v4 = new PrefixTrie(8);
        _v6 = new PrefixTrie(IPv6Stride);
        _groups = new GroupStore();
        _prefixGroups = [];
    }

    /// <summary>
    /// A builder seeded with <paramref name="table"/>'s routes. It shares the table's structures (copied on
    /// write) and rebuilds only its prefix index: O(prefixes), about 0.1 s for 1M.
    /// </summary>
    public RoutingTableBuilder(RoutingTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _nextHops = table.NextHops;
        _v4 = new PrefixTrie(table.IPv4Trie);
        _v6 = new PrefixTrie(table.IPv6Trie);
        _groups = new GroupStore(table.Groups);
        _prefixGroups = new Dictionary<IpPrefix, int>(table.Groups.Count);
        for (int g = 0; g < table.Groups.HighWater; g++)
        {
            ref readonly RouteGroup group = ref _groups.Get(g);
            if (group.MemberCount != 0)
            {
                _prefixGroups.Add(group.Prefix, g);
                Lengths(group.Prefix)[group.Prefix.Length]++;
                _routeCount += group.RouteCount;
            }
        }
    }

    /// <summary>How many routes the builder holds.</summary>
    public int RouteCount => _routeCount;

    /// <summary>How many distinct prefixes the builder holds.</summary>
    public int PrefixCount => _prefixGroups.Count;

    /// <summary>Adds a route; false when the same route (prefix, port, gateway, metric) is already there.</summary>
    /// <exception cref="ArgumentException">The route names no port or its gateway is not an IP address.</exception>
    public bool Add(Route route)
    {
        RouteTarget target = route.ToTarget(_nextHops);
        IpPrefix prefix = route.Prefix;
        if (_prefixGroups.TryGetValue(prefix, out int index))
        {
            if (!_groups.Get(index).TryAdd(target, out RouteGroup changed))
            {
                return false;
            }

            _groups.Set(index, changed);
        }
        else
        {
            index = _groups.Allocate(RouteGroup.Single(prefix, target));
            _prefixGroups.Add(prefix, index);
            Lengths(prefix)[prefix.Length]++;
            Trie(prefix).Insert(prefix.Key, prefix.Length, PrefixTrie.Leaf(index, prefix.Length));
        }

        _routeCount++;
        return true;
    }

    /// <summary>Removes a route (prefix, port, gateway and metric must match); false when it is not there.</summary>
    public bool Remove(Route route)
    {
        RouteTarget target = route.ToTarget();
        if (!_prefixGroups.TryGetValue(route.Prefix, out int index) || !_groups.Get(index).TryRemove(target, out RouteGroup changed))
        {
            return false;
        }

        if (changed.MemberCount == 0)
        {
            RemovePrefixAt(route.Prefix, index);
        }
        else
        {
            _groups.Set(index, changed);
        }

        _routeCount--;
        return true;
    }

    /// <summary>Applies changes in order (adding a present route or removing an absent one does nothing).</summary>
    public void Apply(IEnumerable<RouteChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        foreach (RouteChange change in changes)
        {
            if (change.IsRemoval)
            {
                Remove(change.Route);
            }
            else
            {
                Add(change.Route);
            }
        }
    }

    /// <summary>
    /// Freezes the current routes into an immutable snapshot, for the data path to pick up with
    /// <see cref="Volatile.Write{T}(ref T, T)"/>. The builder stays usable; the next change copies only what it touches.
    /// </summary>
    public RoutingTable Build() => new(_v4.Freeze(), _v6.Freeze(), _groups.Freeze(), _routeCount, _nextHops);

    private void RemovePrefixAt(IpPrefix prefix, int index)
    {
        _prefixGroups.Remove(prefix);
        int[] lengths = Lengths(prefix);
        lengths[prefix.Length]--;
        Trie(prefix).Remove(prefix.Key, prefix.Length, CoveringLeaf(prefix, lengths));
        _groups.Free(index);
    }

    // The leaf of the longest prefix that strictly covers this one, or 0: what its entries fall back to.
    private uint CoveringLeaf(IpPrefix prefix, int[] lengths)
    {
        UInt128 key = prefix.Key;
        for (int length = prefix.Length - 1; length >= 0; length--)
        {
            if (lengths[length] != 0
                && _prefixGroups.TryGetValue(IpPrefix.FromKey(key & IpPrefix.Mask(length), length, prefix.IsIPv6), out int index))
            {
                return PrefixTrie.Leaf(index, length);
            }
        }

        return 0;
    }

    private PrefixTrie Trie(IpPrefix prefix) => prefix.IsIPv6 ? _v6 : _v4;

    private int[] Lengths(IpPrefix prefix) => prefix.IsIPv6 ? _v6Lengths : _v4Lengths;
}
