using System.Buffers.Binary;
using RouterHost.Abstractions;
using RouterHost.Routing.Internal;
using RouterHost.Settings;

namespace RouterHost.Routing.Tests;

/// <summary>
/// The obvious routing table: every route in a hash by its exact prefix, probed at every length from the longest down. The longest prefix containing the address wins;
/// among its routes the lowest metric; among those the ECMP member set, from which the expected member is the
/// highest rendezvous score (computed independently of order).
/// </summary>
internal sealed class ReferenceTable
{
    // The list is what lookups scan; the index only makes Add/Remove O(1) (swap-with-last removal) so that
    // building 100k-route tables does not dominate the test's time.
    private readonly List<Route> _routes = [];
    private readonly Dictionary<Route, int> _index = [];
    private readonly Dictionary<(bool IPv6, int Length, UInt128 Key), List<Route>> _byPrefix = [];

    public ReferenceTable()
    {
    }

    public ReferenceTable(ReferenceTable other)
    {
        _routes.AddRange(other._routes);
        foreach (KeyValuePair<Route, int> entry in other._index)
        {
            _index.Add(entry.Key, entry.Value);
        }

        foreach (KeyValuePair<(bool IPv6, int Length, UInt128 Key), List<Route>> entry in other._byPrefix)
        {
            _byPrefix.Add(entry.Key, [.. entry.Value]);
        }
    }

    public IReadOnlyList<Route> Routes => _routes;

    public bool Add(Route route)
    {
        if (!_index.TryAdd(route, _routes.Count))
        {
            return false;
        }

        _routes.Add(route);
        (bool, int, UInt128) prefix = PrefixOf(route);
        if (!_byPrefix.TryGetValue(prefix, out List<Route>? routes))
        {
            _byPrefix.Add(prefix, routes = []);
        }

        routes.Add(route);
        return true;
    }

    public bool Remove(Route route)
    {
        if (!_index.Remove(route, out int at))
        {
            return false;
        }

        int last = _routes.Count - 1;
        if (at != last)
        {
            Route moved = _routes[last];
            _routes[at] = moved;
            _index[moved] = at;
        }

        _routes.RemoveAt(last);
        _byPrefix[PrefixOf(route)].Remove(route);
        return true;
    }

    private static (bool, int, UInt128) PrefixOf(Route route) => (route.Prefix.IsIPv6, route.Prefix.Length, route.Prefix.Key);

    /// <summary>
    /// The member set of the longest match (empty when nothing matches): mask the address to every length from the
    /// longest down and look the exact prefix up in a hash of all routes — no trie, nothing shared with the table.
    /// </summary>
    public List<RouteTarget> Members(ReadOnlySpan<byte> address)
    {
        bool ipv6 = address.Length == 16;
        UInt128 key = ipv6 ? BinaryPrimitives.ReadUInt128BigEndian(address) : (UInt128)BinaryPrimitives.ReadUInt32BigEndian(address) << 96;
        var members = new List<RouteTarget>();
        for (int length = ipv6 ? 128 : 32; length >= 0; length--)
        {
            if (!_byPrefix.TryGetValue((ipv6, length, key & IpPrefix.Mask(length)), out List<Route>? routes) || routes.Count == 0)
            {
                continue;
            }

            uint bestMetric = uint.MaxValue;
            foreach (Route route in routes)
            {
                bestMetric = Math.Min(bestMetric, route.Metric);
            }

            foreach (Route route in routes)
            {
                if (route.Metric == bestMetric)
                {
                    members.Add(route.ToTarget());
                }
            }

            return members;
        }

        return members;
    }

    public static RouteTarget Expected(List<RouteTarget> members, uint flowHash)
    {
        RouteTarget best = members[0];
        ulong bestScore = 0;
        foreach (RouteTarget member in members)
        {
            ulong score = EcmpSelector.Score(EcmpSelector.Seed(member), flowHash);
            if (score > bestScore)
            {
                bestScore = score;
                best = member;
            }
        }

        return best;
    }

    /// <summary>Asserts the table answers like this reference for <paramref name="address"/>; returns a message or null.</summary>
    public string? Check(RoutingTable table, ReadOnlySpan<byte> address, uint flowHash)
    {
        List<RouteTarget> members = Members(address);
        bool found = table.TryLookup(address, flowHash, out RouteTarget actual);
        string where = Convert.ToHexString(address);
        if (members.Count == 0)
        {
            return found ? $"{where}: expected no route, got {actual}" : null;
        }

        if (!found)
        {
            return $"{where}: expected {members[0]}, got no route";
        }

        RouteTarget expected = Expected(members, flowHash);
        return actual == expected ? null : $"{where} hash {flowHash}: expected {expected} of [{string.Join(", ", members)}], got {actual}";
    }
}
