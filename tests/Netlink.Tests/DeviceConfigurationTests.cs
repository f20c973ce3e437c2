using System.Net;
using System.Net.Sockets;
using RouterHost.Netlink.Tests.Support;

namespace RouterHost.Netlink.Tests;

/// <summary>
/// Ownership of a device's addresses and routes across runs, against the real kernel: a fresh namespace per test with
/// a link d0 (one end of a veth pair), where "an earlier run" is what a test adds with RouterHost's mark and "an
/// operator" is what it adds with ip(8).
/// </summary>
[NeedsRoot]
public sealed class DeviceConfigurationTests : IDisposable
{
    private static readonly (IPAddress, int) Address4 = (IPAddress.Parse("192.0.2.1"), 24);
    private static readonly (IPAddress, int) Address6 = (IPAddress.Parse("2001:db8::1"), 64);
    private static readonly DeviceRoute Route4 = new(IPAddress.Parse("198.51.100.0"), 24);
    private static readonly DeviceRoute Route6 = new(IPAddress.Parse("2001:db8:1::"), 48, Metric: 20);

    private readonly NetworkNamespace _ns;

    public DeviceConfigurationTests()
    {
        Requires.NetworkNamespaces();
        _ns = NetworkNamespace.Create("nlown");
        _ns.Ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p").EnsureSuccess();
        _ns.Ip("link", "set", "d0p", "up").EnsureSuccess();
        _ns.Ip("link", "set", "d0", "up").EnsureSuccess();
    }

    public void Dispose() => _ns.Dispose();

    [Fact]
    public void On_a_bare_device_everything_is_added_marked_and_removed_at_close()
    {
        var (changes, marked) = Run((client, configuration) =>
        {
            var changes = Apply(client, configuration);
            return (changes, Marked(client, configuration.InterfaceIndex));
        }, close: true);

        Assert.All(changes, c => Assert.Equal(ConfigurationChangeKind.Added, c.Kind));
        Assert.Equal(4, changes.Count);
        Assert.Equal(4, marked.Count);
        Assert.Empty(Run((client, configuration) => Marked(client, configuration.InterfaceIndex), close: false));
        Assert.DoesNotContain("192.0.2.1", _ns.Ip("addr", "show", "dev", "d0").StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void What_an_earlier_run_left_is_adopted_and_removed_at_close_and_what_it_no_longer_wants_is_removed_at_once()
    {
        // A killed run: its addresses and routes, marked, one of each no longer in the configuration.
        InNamespace(client =>
        {
            int index = client.GetLinkIndex("d0");
            client.AddAddress(index, Address4.Item1, Address4.Item2, protocol: RtProtocol.RouterHost);
            client.AddAddress(index, IPAddress.Parse("192.0.2.77"), 24, protocol: RtProtocol.RouterHost);
            client.AddRoute(Route4.Destination, Route4.PrefixLength, index, protocol: RtProtocol.RouterHost);
            client.AddRoute(IPAddress.Parse("203.0.113.0"), 24, index, protocol: RtProtocol.RouterHost);
            client.AddRoute(Route6.Destination, Route6.PrefixLength, index, metric: Route6.Metric, protocol: RtProtocol.RouterHost);
        });

        var changes = Run((client, configuration) =>
        {
            var changes = Apply(client, configuration);
            Assert.DoesNotContain(client.ListAddresses(configuration.InterfaceIndex), a => a.Address.Equals(IPAddress.Parse("192.0.2.77")));
            Assert.DoesNotContain(client.ListRoutes(AddressFamily.InterNetwork), r => r.Destination.Equals(IPAddress.Parse("203.0.113.0")));
            return changes;
        }, close: true);

        Assert.Equal(
            [
                (ConfigurationChangeKind.LeftoverRemoved, "address 192.0.2.77/24"),
                (ConfigurationChangeKind.Adopted, "address 192.0.2.1/24"),
                (ConfigurationChangeKind.Added, "address 2001:db8::1/64"),
                (ConfigurationChangeKind.LeftoverRemoved, "route 203.0.113.0/24"),
                (ConfigurationChangeKind.Adopted, "route 198.51.100.0/24"),
                (ConfigurationChangeKind.Adopted, "route 2001:db8:1::/48 metric 20"),
            ],
            changes.Select(c => (c.Kind, c.What)));
        Assert.Empty(Run((client, configuration) => Marked(client, configuration.InterfaceIndex), close: false));
    }

    [Fact]
    public void What_an_operator_added_is_left_alone_even_where_it_equals_the_configuration()
    {
        _ns.Ip("addr", "add", "192.0.2.1/24", "dev", "d0").EnsureSuccess();
        _ns.Ip("addr", "add", "192.0.2.99/24", "dev", "d0").EnsureSuccess();
        _ns.Ip("route", "add", "198.51.100.0/24", "dev", "d0").EnsureSuccess();
        _ns.Ip("route", "add", "203.0.113.0/24", "dev", "d0").EnsureSuccess();

        var changes = Run(Apply, close: true);

        Assert.Contains((ConfigurationChangeKind.LeftAlone, "address 192.0.2.1/24"), changes.Select(c => (c.Kind, c.What)));
        Assert.Contains((ConfigurationChangeKind.LeftAlone, "route 198.51.100.0/24"), changes.Select(c => (c.Kind, c.What)));
        string addresses = _ns.Ip("addr", "show", "dev", "d0").StdOut;
        string routes = _ns.Ip("route").StdOut;
        Assert.Contains("inet 192.0.2.1/24", addresses, StringComparison.Ordinal);
        Assert.Contains("inet 192.0.2.99/24", addresses, StringComparison.Ordinal);
        Assert.DoesNotContain("2001:db8::1", addresses, StringComparison.Ordinal);
        Assert.Contains("198.51.100.0/24 dev d0", routes, StringComparison.Ordinal);
        Assert.Contains("203.0.113.0/24 dev d0", routes, StringComparison.Ordinal);
    }

    [Fact]
    public void An_operators_address_in_the_subnet_of_one_of_RouterHosts_stays_when_RouterHosts_is_removed()
    {
        _ns.Exec("sh", "-c", "echo 0 > /proc/sys/net/ipv4/conf/d0/promote_secondaries").EnsureSuccess();
        var removal = Run((client, configuration) =>
        {
            configuration.ApplyAddresses(client, [Address4]);
            _ns.Ip("addr", "add", "192.0.2.99/24", "dev", "d0").EnsureSuccess(); // a secondary of RouterHost's primary
            return configuration.Remove(client);
        }, close: false);

        Assert.Equal([(ConfigurationChangeKind.SecondariesPromoted, "address 192.0.2.99/24")], removal.Select(c => (c.Kind, c.What)));
        string addresses = _ns.Ip("addr", "show", "dev", "d0").StdOut;
        Assert.Contains("inet 192.0.2.99/24", addresses, StringComparison.Ordinal);
        Assert.DoesNotContain("192.0.2.1/", addresses, StringComparison.Ordinal);
        Assert.Equal("1", _ns.Exec("cat", "/proc/sys/net/ipv4/conf/d0/promote_secondaries").EnsureSuccess().StdOut.Trim());
    }

    [Fact]
    public void Without_promote_secondaries_the_kernel_removes_a_secondary_with_its_primary()
    {
        // The control for the test above: what happens to the operator's address if nothing is done.
        _ns.Exec("sh", "-c", "echo 0 > /proc/sys/net/ipv4/conf/d0/promote_secondaries").EnsureSuccess();
        _ns.Ip("addr", "add", "192.0.2.1/24", "dev", "d0").EnsureSuccess();
        _ns.Ip("addr", "add", "192.0.2.99/24", "dev", "d0").EnsureSuccess();
        _ns.Ip("addr", "del", "192.0.2.1/24", "dev", "d0").EnsureSuccess();
        Assert.DoesNotContain("192.0.2.99", _ns.Ip("addr", "show", "dev", "d0").StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_matches_its_dump_by_table_prefix_next_hop_and_the_kernels_default_metric()
    {
        RouteInfo Dumped(string destination, int length, string? gateway, int? metric, int table = RouteTable.Main) =>
            new(IPAddress.Parse(destination).AddressFamily, IPAddress.Parse(destination), length, gateway is null ? null : IPAddress.Parse(gateway), 3, metric, table, RtProtocol.RouterHost, 0, 1, null);

        Assert.True(new DeviceRoute(IPAddress.Parse("10.8.0.0"), 16).Matches(Dumped("10.8.0.0", 16, null, null)));
        Assert.True(new DeviceRoute(IPAddress.Parse("fd00::"), 64).Matches(Dumped("fd00::", 64, null, 1024)));
        Assert.True(new DeviceRoute(IPAddress.Parse("10.8.0.0"), 16, IPAddress.Parse("10.9.0.254"), 5).Matches(Dumped("10.8.0.0", 16, "10.9.0.254", 5)));
        Assert.False(new DeviceRoute(IPAddress.Parse("10.8.0.0"), 16).Matches(Dumped("10.8.0.0", 24, null, null)));
        Assert.False(new DeviceRoute(IPAddress.Parse("10.8.0.0"), 16).Matches(Dumped("10.8.0.0", 16, "10.9.0.254", null)));
        Assert.False(new DeviceRoute(IPAddress.Parse("10.8.0.0"), 16, Metric: 5).Matches(Dumped("10.8.0.0", 16, null, null)));
        Assert.False(new DeviceRoute(IPAddress.Parse("fd00::"), 64).Matches(Dumped("fd00::", 64, null, 1)));
        Assert.False(new DeviceRoute(IPAddress.Parse("10.8.0.0"), 16).Matches(Dumped("10.8.0.0", 16, null, null, table: 100)));
    }

    private static List<ConfigurationChange> Apply(RtnetlinkClient client, DeviceConfiguration configuration) =>
    [
        .. configuration.ApplyAddresses(client, [Address4, Address6]),
        .. configuration.ApplyRoutes(client, [Route4, Route6]),
    ];

    private static List<string> Marked(RtnetlinkClient client, int index) =>
    [
        .. client.ListAddresses(index).Where(a => a.Protocol == RtProtocol.RouterHost).Select(a => $"{a.Address}/{a.PrefixLength}"),
        .. client.ListRoutes(AddressFamily.InterNetwork).Concat(client.ListRoutes(AddressFamily.InterNetworkV6))
            .Where(r => r.Protocol == RtProtocol.RouterHost).Select(r => $"{r.Destination}/{r.PrefixLength}"),
    ];

    private T Run<T>(Func<RtnetlinkClient, DeviceConfiguration, T> body, bool close) => _ns.Run(() =>
    {
        using var client = new RtnetlinkClient();
        var configuration = new DeviceConfiguration(client.GetLinkIndex("d0"));
        T result = body(client, configuration);
        if (close)
        {
            configuration.Remove(client);
        }

        return result;
    });

    private void InNamespace(Action<RtnetlinkClient> body) => _ns.Run(() =>
    {
        using var client = new RtnetlinkClient();
        body(client);
    });
}
