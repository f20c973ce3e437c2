using System.Net.Sockets;

namespace RouterHost.Netlink;

/// <summary>
/// The policy routing of a full tunnel, as wg-quick sets it up: the tunnel's default route lives in a table of its own
/// (numbered as the underlay sockets' firewall mark), and two rules per address family send every lookup there except
/// the tunnel's own UDP — <c>not fwmark M table M</c> — while <c>table main suppress_prefixlength 0</c>, ahead of it,
/// lets every route of the main table but its default route win, so the host's networks stay reachable directly.
/// The underlay sockets carry the mark (SO_MARK), so their datagrams skip the tunnel's table and leave through the main
/// table's default route.
/// </summary>
/// <remarks>
/// RouterHost's rules carry <see cref="RtProtocol.RouterHost"/> (FRA_PROTOCOL, Linux 4.17 on), so a run that was killed
/// leaves rules the next run recognises: those it wants are adopted, the others removed when it applies its own. Rules
/// without the mark (wg-quick's, an operator's) are never touched. One RouterHost per network namespace owns these
/// rules: a second one applying its own would remove the first one's.
/// </remarks>
public sealed class FullTunnelRules
{
    private readonly List<RuleInfo> _rules = [];

    /// <summary>The rules this run is to remove at its close (added or adopted).</summary>
    public IReadOnlyList<RuleInfo> Rules => _rules;

    /// <summary>The rules a full tunnel of <paramref name="family"/> with firewall mark (and table) <paramref name="mark"/> needs, in the order they are added.</summary>
    public static IReadOnlyList<RuleInfo> Wanted(AddressFamily family, uint mark)
    {
        ArgumentOutOfRangeException.ThrowIfZero(mark);
        if (mark > int.MaxValue || mark == RouteTable.Main || mark == RouteTable.Local || mark == RouteTable.Default)
        {
            throw new ArgumentOutOfRangeException(nameof(mark), mark, "the firewall mark names the tunnel's routing table: 1..2147483647, not 253 (default), 254 (main) or 255 (local)");
        }

        // Added in this order without a priority, the kernel puts the second ahead of the first (each new rule goes
        // just before the lowest existing non-zero priority), as wg-quick's two `ip rule add` do.
        return
        [
            new RuleInfo(family, null, (int)mark, 1, Invert: true, FirewallMark: mark, FirewallMask: null, SuppressPrefixLength: null, RtProtocol.RouterHost, HasSelectors: false),
            new RuleInfo(family, null, RouteTable.Main, 1, Invert: false, FirewallMark: null, FirewallMask: null, SuppressPrefixLength: 0, RtProtocol.RouterHost, HasSelectors: false),
        ];
    }

    /// <summary>
    /// Puts the rules for <paramref name="families"/> with <paramref name="mark"/> in place (none when
    /// <paramref name="families"/> is empty): RouterHost's rules that are not wanted are removed (an earlier run's, or
    /// this run's for a family no longer in full tunnel), wanted ones already there are adopted, missing ones added.
    /// Callable again with another set. Needs CAP_NET_ADMIN.
    /// </summary>
    public IReadOnlyList<ConfigurationChange> Apply(RtnetlinkClient netlink, IReadOnlyCollection<AddressFamily> families, uint mark)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(families);
        var changes = new List<ConfigurationChange>();
        var owned = _rules.ToList();
        _rules.Clear();
        foreach (AddressFamily family in (ReadOnlySpan<AddressFamily>)[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
        {
            IReadOnlyList<RuleInfo> wanted = families.Contains(family) ? Wanted(family, mark) : [];
            var ours = netlink.ListRules(family).Where(r => r.Protocol == RtProtocol.RouterHost && !r.HasSelectors).ToList();
            bool complete = wanted.Count > 0 && wanted.All(w => ours.Any(o => Same(o, w)));
            foreach (RuleInfo rule in ours)
            {
                // Both wanted rules present: keep them. Anything else of ours goes, so the pair is added afresh in order.
                if (complete && wanted.Any(w => Same(rule, w)))
                {
                    continue;
                }

                netlink.DeleteRule(rule, missingIsSuccess: true);
                bool earlierRun = !owned.Any(o => Same(o, rule));
                changes.Add(new ConfigurationChange(earlierRun ? ConfigurationChangeKind.LeftoverRemoved : ConfigurationChangeKind.Removed, rule.ToString()));
            }

            foreach (RuleInfo rule in wanted)
            {
                if (complete)
                {
                    RuleInfo there = ours.First(o => Same(o, rule));
                    _rules.Add(there);
                    if (!owned.Any(o => Same(o, rule)))
                    {
                        changes.Add(new ConfigurationChange(ConfigurationChangeKind.Adopted, there.ToString()));
                    }

                    continue;
                }

                netlink.AddRule(family, rule.Table, rule.FirewallMark, rule.Invert, rule.SuppressPrefixLength, protocol: RtProtocol.RouterHost);
                RuleInfo? added = netlink.ListRules(family).FirstOrDefault(r => r.Protocol == RtProtocol.RouterHost && Same(r, rule));
                _rules.Add(added ?? rule);
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.Added, (added ?? rule).ToString()));
            }
        }

        return changes;
    }

    /// <summary>Removes this run's rules; one already gone is fine.</summary>
    public void Remove(RtnetlinkClient netlink)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        foreach (RuleInfo rule in _rules)
        {
            netlink.DeleteRule(rule, missingIsSuccess: true);
        }

        _rules.Clear();
    }

    /// <summary>Whether two rules select and act alike (priority aside: the kernel chose it).</summary>
    public static bool Same(RuleInfo a, RuleInfo b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Family == b.Family && a.Table == b.Table && a.Invert == b.Invert && a.FirewallMark == b.FirewallMark
            && (a.SuppressPrefixLength ?? -1) == (b.SuppressPrefixLength ?? -1) && a.HasSelectors == b.HasSelectors;
    }
}
