using RouterHost.Settings;

namespace RouterHost.Routing.Internal;

/// <summary>
/// Everything one prefix routes to: every route to it sorted by metric (then port and gateway, so the order
/// does not depend on insertion), of which the first <see cref="MemberCount"/> share the lowest metric and form
/// the ECMP group. A single route is kept inline (<see cref="All"/> null), so most prefixes cost no allocation.
/// A free slot has <see cref="MemberCount"/> 0.
/// </summary>
internal struct RouteGroup
{
    public RouteTarget First;
    public RouteTarget[]? All;
    public int MemberCount;
    public IpPrefix Prefix;

    public readonly int RouteCount => All?.Length ?? (MemberCount == 0 ? 0 : 1);

    public readonly RouteTarget RouteAt(int index) => All is null ? First : All[index];

    public static RouteGroup Single(IpPrefix prefix, in RouteTarget target) =>
        new() { Prefix = prefix, First = target, MemberCount = 1 };

    /// <summary>The group with <paramref name="target"/> added, or false when it is already there.</summary>
    public readonly bool TryAdd(in RouteTarget target, out RouteGroup result)
    {
        int count = RouteCount;
        var routes = new RouteTarget[count + 1];
        for (int i = 0; i < count; i++)
        {
            RouteTarget existing = RouteAt(i);
            if (existing == target)
            {
                result = this;
                return false;
            }

            routes[i] = existing;
        }

        routes[count] = target;
        result = FromRoutes(Prefix, routes);
        return true;
    }

    /// <summary>The group without <paramref name="target"/> (MemberCount 0 when it was the last), or false when absent.</summary>
    public readonly bool TryRemove(in RouteTarget target, out RouteGroup result)
    {
        int count = RouteCount;
        int at = -1;
        for (int i = 0; i < count; i++)
        {
            if (RouteAt(i) == target)
            {
                at = i;
                break;
            }
        }

        if (at < 0)
        {
            result = this;
            return false;
        }

        if (count == 1)
        {
            result = default;
            return true;
        }

        var routes = new RouteTarget[count - 1];
        for (int i = 0, j = 0; i < count; i++)
        {
            if (i != at)
            {
                routes[j++] = RouteAt(i);
            }
        }

        result = FromRoutes(Prefix, routes);
        return true;
    }

    private static RouteGroup FromRoutes(IpPrefix prefix, RouteTarget[] routes)
    {
        if (routes.Length == 1)
        {
            return Single(prefix, routes[0]);
        }

        Array.Sort(routes, Compare);
        int members = 1;
        while (members < routes.Length && routes[members].Metric == routes[0].Metric)
        {
            members++;
        }

        return new RouteGroup { Prefix = prefix, First = routes[0], All = routes, MemberCount = members };
    }

    private static int Compare(RouteTarget a, RouteTarget b)
    {
        int c = a.Metric.CompareTo(b.Metric);
        if (c == 0)
        {
            c = a.Port.Value.CompareTo(b.Port.Value);
        }

        if (c == 0)
        {
            c = a.GatewayFamily.CompareTo(b.GatewayFamily);
        }

        if (c == 0)
        {
            c = a.GatewayHigh.CompareTo(b.GatewayHigh);
        }

        if (c == 0)
        {
            c = a.GatewayLow.CompareTo(b.GatewayLow);
        }

        return c;
    }
}
