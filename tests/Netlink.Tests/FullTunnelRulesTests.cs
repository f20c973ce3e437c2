using System.Net;
using System.Net.Sockets;
using RouterHost.Netlink.Tests.Support;

namespace RouterHost.Netlink.Tests;

/// <summary>
/// Policy routing rules and a full tunnel's routes against the real kernel, in a fresh namespace per test with a link d0
/// (one end of a veth pair); <c>ip rule</c> is the judge of what is there.
/// </summary>
[NeedsRoot]
public sealed class FullTunnelRulesTests : IDisposable
{
    private const uint Mark = 51820;
    private readonly NetworkNamespace _ns;

    public FullTunnelRulesTests()
    {
        Requires.NetworkNamespaces();
        _ns = NetworkNamespace.Create("nlrule");
        _ns.Ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p").EnsureSuccess();
        _ns.Ip("link", "set", "d0p", "up").EnsureSuccess();
        _ns.Ip("link", "set", "d0", "up").EnsureSuccess();
    }

    public void Dispose() => _ns.Dispose();

    [Fact]
    public void A_rule_added_is_listed_as_written_and_deleted_and_a_second_delete_is_ENOENT()
    {
        _ns.Run(() =>
        {
            using var client = new RtnetlinkClient();
            client.AddRule(AddressFamily.InterNetwork, 51821, firewallMark: 7, invert: true, priority: 1000, protocol: RtProtocol.RouterHost);
            RuleInfo rule = Assert.Single(client.ListRules(AddressFamily.InterNetwork), r => r.Protocol == RtProtocol.RouterHost);
            Assert.Equal(1000, rule.Priority);
            Assert.Equal(51821, rule.Table);
            Assert.True(rule.Invert);
            Assert.Equal(7u, rule.FirewallMark);
            var exists = Assert.Throws<NetlinkException>(() => client.AddRule(AddressFamily.InterNetwork, 51821, firewallMark: 7, invert: true, priority: 1000, protocol: RtProtocol.RouterHost));
            Assert.Equal(RouterHost.Linux.Errno.EEXIST, exists.Errno);

            client.DeleteRule(rule);
            Assert.DoesNotContain(client.ListRules(AddressFamily.InterNetwork), r => r.Protocol == RtProtocol.RouterHost);
            var missing = Assert.Throws<NetlinkException>(() => client.DeleteRule(rule));
            Assert.Equal(RouterHost.Linux.Errno.ENOENT, missing.Errno);
            Assert.Contains("ENOENT", missing.Message, StringComparison.Ordinal);
            client.DeleteRule(rule, missingIsSuccess: true);
        });
    }

    [Fact]
    public void A_full_tunnel_gets_wg_quicks_two_rules_in_wg_quicks_order_for_each_family_and_loses_them_at_close()
    {
        var rules = new FullTunnelRules();
        IReadOnlyList<ConfigurationChange> changes = InNamespace(client => rules.Apply(client, [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6], Mark));

        Assert.Equal(4, changes.Count);
        Assert.All(changes, c => Assert.Equal(ConfigurationChangeKind.Added, c.Kind));
        string[] v4 = RuleLines("-4");
        string[] v6 = RuleLines("-6");
        foreach (string[] lines in new[] { v4, v6 })
        {
            int suppress = Array.FindIndex(lines, l => l.Contains("lookup main suppress_prefixlength 0", StringComparison.Ordinal) && l.Contains("proto 210", StringComparison.Ordinal));
            int marked = Array.FindIndex(lines, l => l.Contains("not from all fwmark 0xca6c lookup 51820", StringComparison.Ordinal) && l.Contains("proto 210", StringComparison.Ordinal));
            Assert.True(suppress >= 0 && marked > suppress, string.Join("\n", lines));
        }

        InNamespace(client => { rules.Remove(client); return 0; });
        Assert.DoesNotContain(RuleLines("-4").Concat(RuleLines("-6")), l => l.Contains("proto 210", StringComparison.Ordinal));
    }

    [Fact]
    public void A_killed_runs_rules_are_adopted_when_wanted_and_removed_when_not_and_an_operators_are_kept()
    {
        // A killed run: the IPv4 pair for mark 51820 and an IPv6 pair for an older mark; an operator's own rule.
        InNamespace(client => { new FullTunnelRules().Apply(client, [AddressFamily.InterNetwork], Mark); new FullTunnelRules().Apply(client, [], 0); return 0; });
        InNamespace(client =>
        {
            foreach (RuleInfo rule in FullTunnelRules.Wanted(AddressFamily.InterNetwork, Mark).Concat(FullTunnelRules.Wanted(AddressFamily.InterNetworkV6, 4242)))
            {
                client.AddRule(rule.Family, rule.Table, rule.FirewallMark, rule.Invert, rule.SuppressPrefixLength, protocol: RtProtocol.RouterHost);
            }

            return 0;
        });
        _ns.Ip("rule", "add", "fwmark", "9", "table", "9", "pref", "500").EnsureSuccess();

        var rules = new FullTunnelRules();
        IReadOnlyList<ConfigurationChange> changes = InNamespace(client => rules.Apply(client, [AddressFamily.InterNetwork], Mark));

        Assert.Equal(2, changes.Count(c => c.Kind == ConfigurationChangeKind.Adopted));
        Assert.Equal(2, changes.Count(c => c.Kind == ConfigurationChangeKind.LeftoverRemoved && c.What.StartsWith("ipv6", StringComparison.Ordinal)));
        Assert.DoesNotContain(RuleLines("-6"), l => l.Contains("proto 210", StringComparison.Ordinal));
        Assert.Contains(RuleLines("-4"), l => l.Contains("fwmark 0x9 lookup 9", StringComparison.Ordinal));

        InNamespace(client => { rules.Remove(client); return 0; });
        Assert.DoesNotContain(RuleLines("-4"), l => l.Contains("proto 210", StringComparison.Ordinal));
        Assert.Contains(RuleLines("-4"), l => l.Contains("fwmark 0x9 lookup 9", StringComparison.Ordinal));
    }

    [Fact]
    public void Routes_applied_again_follow_the_wanted_set_in_any_table_and_all_go_at_close()
    {
        var first = new DeviceRoute(IPAddress.Parse("10.2.0.0"), 16);
        var second = new DeviceRoute(IPAddress.Parse("10.3.0.0"), 16);
        var fullTunnel = new DeviceRoute(IPAddress.Any, 0, Table: (int)Mark);
        DeviceConfiguration configuration = null!;
        var (added, changed) = InNamespace(client =>
        {
            configuration = new DeviceConfiguration(client.GetLinkIndex("d0"));
            var added = configuration.ApplyRoutes(client, [first, fullTunnel]);
            var changed = configuration.ApplyRoutes(client, [second, fullTunnel]);
            return (added, changed);
        });

        Assert.Equal(2, added.Count(c => c.Kind == ConfigurationChangeKind.Added));
        Assert.Contains(changed, c => c.Kind == ConfigurationChangeKind.Removed && c.What == "route 10.2.0.0/16");
        Assert.Contains(changed, c => c.Kind == ConfigurationChangeKind.Added && c.What == "route 10.3.0.0/16");
        Assert.DoesNotContain(changed, c => c.What.Contains("table", StringComparison.Ordinal));
        Assert.Contains("default dev d0 proto 210", _ns.Ip("route", "show", "table", "51820").StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("10.2.0.0", _ns.Ip("route", "show").StdOut, StringComparison.Ordinal);

        InNamespace(client => configuration.Remove(client));
        Assert.Equal(string.Empty, _ns.Ip("route", "show", "table", "51820").StdOut.Trim());
        Assert.DoesNotContain("proto 210", _ns.Ip("route", "show").StdOut, StringComparison.Ordinal);
    }

    private string[] RuleLines(string family) => _ns.Ip(family, "rule", "show").EnsureSuccess().StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private T InNamespace<T>(Func<RtnetlinkClient, T> body) => _ns.Run(() =>
    {
        using var client = new RtnetlinkClient();
        return body(client);
    });
}
