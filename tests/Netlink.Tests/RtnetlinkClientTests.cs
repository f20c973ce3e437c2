using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RouterHost.Netlink.Tests.Support;

namespace RouterHost.Netlink.Tests;

/// <summary>
/// The client against the real kernel, each test in a fresh network namespace with a link d0: one end of a veth
/// pair whose other end (d0p) is up, so d0 gets carrier when set up. (This kernel has no dummy driver.)
/// </summary>
[NeedsRoot]
public sealed class RtnetlinkClientTests : IDisposable
{
    private readonly NetworkNamespace _ns;

    public RtnetlinkClientTests()
    {
        Requires.NetworkNamespaces();
        _ns = NetworkNamespace.Create("nltest");
        _ns.Ip("link", "add", "d0", "type", "veth", "peer", "name", "d0p").EnsureSuccess();
        _ns.Ip("link", "set", "d0p", "up").EnsureSuccess();
    }

    public void Dispose() => _ns?.Dispose();

    private T InNamespace<T>(Func<RtnetlinkClient, T> body) => _ns.Run(() =>
    {
        using var client = new RtnetlinkClient();
        return body(client);
    });

    private void InNamespace(Action<RtnetlinkClient> body) => InNamespace(client =>
    {
        body(client);
        return 0;
    });

    private int D0Index => InNamespace(client => client.GetLinkIndex("d0"));

    [Fact]
    public void Finds_a_link_by_name_and_by_index_as_ip_link_shows_it()
    {
        var (byName, byIndex) = InNamespace(client => (client.FindLink("d0"), client.GetLink(client.GetLinkIndex("d0"))));

        Assert.NotNull(byName);
        Assert.Equal(byName, byIndex);
        Assert.Equal("d0", byName.Name);
        Assert.Equal(1500, byName.Mtu);
        Assert.False(byName.IsUp);
        var shown = _ns.Ip("-o", "link", "show", "dev", "d0").EnsureSuccess().StdOut;
        Assert.StartsWith($"{byName.Index}: d0@d0p:", shown, StringComparison.Ordinal);
        Assert.Contains("link/ether " + FormatMac(byName.HardwareAddress!.GetAddressBytes()), shown, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_carries_the_kernels_counters_and_queue_length_as_ip_shows_them()
    {
        // Traffic over lo in the namespace: ping counts both ways on the same device.
        InNamespace(client => client.SetLinkUp(client.GetLinkIndex("lo"), true));
        _ns.Exec("ping", "-c", "3", "-i", "0.2", "-q", "127.0.0.1").EnsureSuccess();

        var lo = InNamespace(client => client.FindLink("lo"));

        Assert.NotNull(lo?.Statistics);
        Assert.True(lo.Statistics.TxPackets >= 6, $"tx_packets {lo.Statistics.TxPackets}");
        Assert.Equal(lo.Statistics.TxPackets, lo.Statistics.RxPackets);
        // "... RX: bytes packets errors dropped missed mcast \ 504 6 0 0 0 0 \ TX: ..." once spaces are collapsed.
        string shown = System.Text.RegularExpressions.Regex.Replace(_ns.Ip("-s", "-o", "link", "show", "dev", "lo").EnsureSuccess().StdOut, @"\s+", " ");
        Assert.Contains($"mcast \\ {lo.Statistics.RxBytes} {lo.Statistics.RxPackets} {lo.Statistics.RxErrors} {lo.Statistics.RxDropped} ", shown, StringComparison.Ordinal);
        Assert.Contains($"collsns \\ {lo.Statistics.TxBytes} {lo.Statistics.TxPackets} {lo.Statistics.TxErrors} {lo.Statistics.TxDropped} ", shown, StringComparison.Ordinal);
        Assert.NotNull(lo.TransmitQueueLength);
        Assert.Contains($"qlen {lo.TransmitQueueLength}", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Lists_the_links_of_its_namespace_only()
    {
        var names = InNamespace(client => client.ListLinks().Select(l => l.Name).Order().ToArray());

        Assert.Equal(["d0", "d0p", "lo"], names);
    }

    [Fact]
    public void A_missing_link_is_null_from_FindLink_and_ENODEV_from_GetLinkIndex()
    {
        var (found, foundByIndex, error) = InNamespace(client =>
            (client.FindLink("nosuch0"), client.FindLink(9999), Assert.Throws<NetlinkException>(() => client.GetLinkIndex("nosuch0"))));

        Assert.Null(found);
        Assert.Null(foundByIndex);
        Assert.Equal(19, error.Errno);
        Assert.Equal("ENODEV", error.ErrnoName);
        Assert.Equal("looking up link \"nosuch0\" failed: ENODEV (19): No such device", error.Message);
    }

    [Fact]
    public void Changing_a_missing_link_fails_with_ENODEV_naming_the_operation()
    {
        var error = InNamespace(client => Assert.Throws<NetlinkException>(() => client.SetMtu(9999, 1400)));

        Assert.Equal("ENODEV", error.ErrnoName);
        Assert.StartsWith("setting MTU 1400 on ifindex 9999 (no such link) failed: ENODEV (19)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sets_the_mtu_as_ip_link_shows_it()
    {
        var mtu = InNamespace(client =>
        {
            var index = client.GetLinkIndex("d0");
            client.SetMtu(index, 1400);
            return client.GetLink(index).Mtu;
        });

        Assert.Equal(1400, mtu);
        Assert.Contains(" mtu 1400 ", _ns.Ip("-o", "link", "show", "dev", "d0").EnsureSuccess().StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Sets_a_link_up_and_down()
    {
        var up = InNamespace(client =>
        {
            var index = client.GetLinkIndex("d0");
            client.SetLinkUp(index, true);
            return client.GetLink(index);
        });
        var shownUp = _ns.Ip("-o", "link", "show", "dev", "d0").EnsureSuccess().StdOut;
        var down = InNamespace(client =>
        {
            var index = client.GetLinkIndex("d0");
            client.SetLinkUp(index, false);
            return client.GetLink(index);
        });

        Assert.True(up.IsUp);
        Assert.True(up.IsRunning);
        Assert.Contains("<BROADCAST,MULTICAST,UP,LOWER_UP>", shownUp, StringComparison.Ordinal);
        Assert.False(down.IsUp);
        Assert.DoesNotContain(",UP", _ns.Ip("-o", "link", "show", "dev", "d0").EnsureSuccess().StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Adds_lists_and_deletes_ipv4_and_ipv6_addresses()
    {
        var v4 = IPAddress.Parse("192.0.2.1");
        var v6 = IPAddress.Parse("2001:db8::1");
        var index = D0Index;

        var listed = InNamespace(client =>
        {
            client.AddAddress(index, v4, 24);
            client.AddAddress(index, v6, 64);
            return client.ListAddresses(index);
        });
        var shown = _ns.Ip("addr", "show", "dev", "d0").EnsureSuccess().StdOut;
        var afterDelete = InNamespace(client =>
        {
            client.DeleteAddress(index, v4, 24);
            client.DeleteAddress(index, v6, 64);
            return client.ListAddresses(index);
        });

        var added4 = Assert.Single(listed, a => a.Address.Equals(v4));
        Assert.Equal(24, added4.PrefixLength);
        Assert.Equal("d0", added4.Label);
        var added6 = Assert.Single(listed, a => a.Address.Equals(v6));
        Assert.Equal(64, added6.PrefixLength);
        Assert.True(added6.Flags.HasFlag(AddressFlags.NoDad));
        Assert.False(added6.Flags.HasFlag(AddressFlags.Tentative));
        Assert.Contains("inet 192.0.2.1/24", shown, StringComparison.Ordinal);
        Assert.Contains("inet6 2001:db8::1/64", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(afterDelete, a => a.Address.Equals(v4) || a.Address.Equals(v6));
        Assert.DoesNotContain("192.0.2.1", _ns.Ip("addr", "show", "dev", "d0").EnsureSuccess().StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void An_address_and_a_route_carry_the_protocol_they_were_added_with_back_from_the_kernel()
    {
        var index = D0Index;
        var (addresses, routes) = InNamespace(client =>
        {
            client.SetLinkUp(index, true);
            client.AddAddress(index, IPAddress.Parse("192.0.2.1"), 24, protocol: RtProtocol.RouterHost);
            client.AddAddress(index, IPAddress.Parse("2001:db8::1"), 64, protocol: RtProtocol.RouterHost);
            client.AddAddress(index, IPAddress.Parse("192.0.2.2"), 24);
            client.AddRoute(IPAddress.Parse("198.51.100.0"), 24, index, protocol: RtProtocol.RouterHost);
            client.AddRoute(IPAddress.Parse("203.0.113.0"), 24, index);
            return (client.ListAddresses(index), client.ListRoutes(AddressFamily.InterNetwork));
        });

        Assert.Equal(RtProtocol.RouterHost, Assert.Single(addresses, a => a.Address.Equals(IPAddress.Parse("192.0.2.1"))).Protocol);
        Assert.Equal(RtProtocol.RouterHost, Assert.Single(addresses, a => a.Address.Equals(IPAddress.Parse("2001:db8::1"))).Protocol);
        Assert.Equal(0, Assert.Single(addresses, a => a.Address.Equals(IPAddress.Parse("192.0.2.2"))).Protocol);
        Assert.Equal(RtProtocol.RouterHost, Assert.Single(routes, r => r.Destination.Equals(IPAddress.Parse("198.51.100.0"))).Protocol);
        Assert.Equal(RtProtocol.Static, Assert.Single(routes, r => r.Destination.Equals(IPAddress.Parse("203.0.113.0"))).Protocol);
        Assert.Contains("198.51.100.0/24 dev d0 proto 210", _ns.Ip("route").EnsureSuccess().StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void Sets_promote_secondaries_as_the_sysctl_shows_it()
    {
        var index = D0Index;
        string Shown() => _ns.Exec("cat", "/proc/sys/net/ipv4/conf/d0/promote_secondaries").EnsureSuccess().StdOut.Trim();

        InNamespace(client => client.SetPromoteSecondaries(index, true));
        Assert.Equal("1", Shown());
        InNamespace(client => client.SetPromoteSecondaries(index, false));
        Assert.Equal("0", Shown());
    }

    [Fact]
    public void Ipv6_addresses_are_usable_at_once_on_an_up_link()
    {
        var v6 = IPAddress.Parse("2001:db8::5");
        var address = InNamespace(client =>
        {
            var index = client.GetLinkIndex("d0");
            client.SetLinkUp(index, true);
            client.AddAddress(index, v6, 64);
            return client.ListAddresses(index).Single(a => a.Address.Equals(v6));
        });

        Assert.False(address.Flags.HasFlag(AddressFlags.Tentative));
        var shown = _ns.Ip("-o", "addr", "show", "dev", "d0").EnsureSuccess().StdOut.Split('\n');
        Assert.DoesNotContain("tentative", Assert.Single(shown, line => line.Contains("2001:db8::5/64", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_address_fails_with_EEXIST_naming_address_and_link_unless_existing_is_success()
    {
        var index = D0Index;
        var (error4, error6) = InNamespace(client =>
        {
            client.AddAddress(index, IPAddress.Parse("192.0.2.1"), 24);
            client.AddAddress(index, IPAddress.Parse("2001:db8::1"), 64);
            var e4 = Assert.Throws<NetlinkException>(() => client.AddAddress(index, IPAddress.Parse("192.0.2.1"), 24));
            var e6 = Assert.Throws<NetlinkException>(() => client.AddAddress(index, IPAddress.Parse("2001:db8::1"), 64));
            client.AddAddress(index, IPAddress.Parse("192.0.2.1"), 24, existingIsSuccess: true);
            client.AddAddress(index, IPAddress.Parse("2001:db8::1"), 64, existingIsSuccess: true);
            return (e4, e6);
        });

        Assert.Equal(17, error4.Errno);
        Assert.Equal("EEXIST", error4.ErrnoName);
        Assert.StartsWith($"adding address 192.0.2.1/24 to d0 (ifindex {index}) failed: EEXIST (17): File exists", error4.Message, StringComparison.Ordinal);
        Assert.Equal("EEXIST", error6.ErrnoName);
        Assert.StartsWith($"adding address 2001:db8::1/64 to d0 (ifindex {index}) failed: EEXIST (17)", error6.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deleting_a_missing_address_fails_with_EADDRNOTAVAIL_unless_missing_is_success()
    {
        var error = InNamespace(client =>
        {
            var index = client.GetLinkIndex("d0");
            client.DeleteAddress(index, IPAddress.Parse("192.0.2.9"), 24, missingIsSuccess: true);
            return Assert.Throws<NetlinkException>(() => client.DeleteAddress(index, IPAddress.Parse("192.0.2.9"), 24));
        });

        Assert.Equal("EADDRNOTAVAIL", error.ErrnoName);
    }

    [Fact]
    public void Adds_lists_and_deletes_ipv4_routes_with_and_without_gateway()
    {
        var index = D0Index;
        var direct = IPAddress.Parse("198.51.100.0");
        var viaGateway = IPAddress.Parse("203.0.113.0");
        var gateway = IPAddress.Parse("192.0.2.254");

        var routes = InNamespace(client =>
        {
            client.SetLinkUp(index, true);
            client.AddAddress(index, IPAddress.Parse("192.0.2.1"), 24);
            client.AddRoute(direct, 24, index);
            client.AddRoute(viaGateway, 24, index, gateway, metric: 50);
            return client.ListRoutes(AddressFamily.InterNetwork);
        });
        var shown = _ns.Ip("-4", "route", "show").EnsureSuccess().StdOut;
        var (afterDelete, missing) = InNamespace(client =>
        {
            client.DeleteRoute(direct, 24, index);
            client.DeleteRoute(viaGateway, 24, index, gateway, metric: 50);
            client.DeleteRoute(viaGateway, 24, index, missingIsSuccess: true);
            return (client.ListRoutes(AddressFamily.InterNetwork), Assert.Throws<NetlinkException>(() => client.DeleteRoute(direct, 24, index)));
        });

        var directRoute = Assert.Single(routes, r => r.Destination.Equals(direct));
        Assert.Equal(24, directRoute.PrefixLength);
        Assert.Null(directRoute.Gateway);
        Assert.Equal(index, directRoute.OutputInterfaceIndex);
        Assert.Equal(RouteTable.Main, directRoute.Table);
        Assert.Equal(253, directRoute.Scope);
        var gatewayRoute = Assert.Single(routes, r => r.Destination.Equals(viaGateway));
        Assert.Equal(gateway, gatewayRoute.Gateway);
        Assert.Equal(50, gatewayRoute.Metric);
        Assert.Contains("198.51.100.0/24 dev d0 proto static scope link", shown, StringComparison.Ordinal);
        Assert.Contains("203.0.113.0/24 via 192.0.2.254 dev d0 proto static metric 50", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(afterDelete, r => r.Destination.Equals(direct) || r.Destination.Equals(viaGateway));
        Assert.Equal("ESRCH", missing.ErrnoName);
        Assert.StartsWith($"deleting route 198.51.100.0/24 dev d0 (ifindex {index}) failed: ESRCH (3)", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adds_lists_and_deletes_ipv6_routes_with_and_without_gateway()
    {
        var index = D0Index;
        var direct = IPAddress.Parse("2001:db8:2::");
        var viaGateway = IPAddress.Parse("2001:db8:3::");
        var gateway = IPAddress.Parse("2001:db8:1::fe");

        var routes = InNamespace(client =>
        {
            client.SetLinkUp(index, true);
            client.AddAddress(index, IPAddress.Parse("2001:db8:1::1"), 64);
            client.AddRoute(direct, 64, index);
            client.AddRoute(viaGateway, 64, index, gateway, metric: 100);
            return client.ListRoutes(AddressFamily.InterNetworkV6);
        });
        var shown = _ns.Ip("-6", "route", "show").EnsureSuccess().StdOut;
        var afterDelete = InNamespace(client =>
        {
            client.DeleteRoute(direct, 64, index);
            client.DeleteRoute(viaGateway, 64, index, gateway);
            return client.ListRoutes(AddressFamily.InterNetworkV6);
        });

        var directRoute = Assert.Single(routes, r => r.Destination.Equals(direct));
        Assert.Null(directRoute.Gateway);
        Assert.Equal(index, directRoute.OutputInterfaceIndex);
        var gatewayRoute = Assert.Single(routes, r => r.Destination.Equals(viaGateway));
        Assert.Equal(gateway, gatewayRoute.Gateway);
        Assert.Equal(100, gatewayRoute.Metric);
        Assert.Contains("2001:db8:2::/64 dev d0 proto static", shown, StringComparison.Ordinal);
        Assert.Contains("2001:db8:3::/64 via 2001:db8:1::fe dev d0 proto static metric 100", shown, StringComparison.Ordinal);
        Assert.DoesNotContain(afterDelete, r => r.Destination.Equals(direct) || r.Destination.Equals(viaGateway));
    }

    [Fact]
    public void Routes_go_to_the_table_asked_for_and_are_listed_per_table()
    {
        var index = D0Index;
        var (main, table100, all) = InNamespace(client =>
        {
            client.SetLinkUp(index, true);
            client.AddRoute(IPAddress.Parse("198.51.100.0"), 24, index, table: 100);
            client.AddRoute(IPAddress.Parse("0.0.0.0"), 0, index, table: 1000);
            return (client.ListRoutes(AddressFamily.InterNetwork), client.ListRoutes(AddressFamily.InterNetwork, 100), client.ListRoutes(AddressFamily.InterNetwork, null));
        });

        Assert.DoesNotContain(main, r => r.Destination.Equals(IPAddress.Parse("198.51.100.0")));
        Assert.Equal(IPAddress.Parse("198.51.100.0"), Assert.Single(table100).Destination);
        Assert.Contains(all, r => r.Table == 1000 && r.PrefixLength == 0);
        Assert.Contains("default dev d0", _ns.Ip("route", "show", "table", "1000").EnsureSuccess().StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_route_fails_with_EEXIST_unless_existing_is_success()
    {
        var error = InNamespace(client =>
        {
            var index = client.GetLinkIndex("d0");
            client.SetLinkUp(index, true);
            client.AddRoute(IPAddress.Parse("198.51.100.0"), 24, index);
            client.AddRoute(IPAddress.Parse("198.51.100.0"), 24, index, existingIsSuccess: true);
            return Assert.Throws<NetlinkException>(() => client.AddRoute(IPAddress.Parse("198.51.100.0"), 24, index));
        });

        Assert.Equal("EEXIST", error.ErrnoName);
        Assert.Contains("adding route 198.51.100.0/24 dev d0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_route_destination_with_host_bits_is_refused_before_it_is_sent()
    {
        var error = InNamespace(client => Assert.Throws<ArgumentException>(() => client.AddRoute(IPAddress.Parse("198.51.100.1"), 24, 1)));

        Assert.Contains("198.51.100.1/24 has bits set beyond the prefix length", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kernel_rejection_carries_the_kernels_extended_ack_text()
    {
        // A gateway that is not on any link: the kernel explains why in its extended ACK.
        var error = InNamespace(client =>
        {
            var index = client.GetLinkIndex("d0");
            client.SetLinkUp(index, true);
            return Assert.Throws<NetlinkException>(() => client.AddRoute(IPAddress.Parse("198.51.100.0"), 24, index, IPAddress.Parse("203.0.113.1")));
        });

        Assert.Equal("ENETUNREACH", error.ErrnoName);
        Assert.False(string.IsNullOrEmpty(error.KernelMessage));
        Assert.Contains($"(kernel: {error.KernelMessage})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reads_a_static_neighbour_entry_and_null_for_an_absent_one()
    {
        var index = D0Index;
        _ns.Ip("link", "set", "d0", "up").EnsureSuccess();
        _ns.Ip("neigh", "add", "192.0.2.7", "lladdr", "02:00:00:00:00:07", "dev", "d0").EnsureSuccess();
        _ns.Ip("neigh", "add", "2001:db8::7", "lladdr", "02:00:00:00:00:08", "dev", "d0").EnsureSuccess();

        var (v4, v6, absent, listed) = InNamespace(client => (
            client.GetNeighbour(index, IPAddress.Parse("192.0.2.7")),
            client.GetNeighbour(index, IPAddress.Parse("2001:db8::7")),
            client.GetNeighbour(index, IPAddress.Parse("192.0.2.8")),
            client.ListNeighbours(index)));

        Assert.NotNull(v4);
        Assert.Equal(NeighbourState.Permanent, v4.State);
        Assert.Equal("020000000007", v4.LinkLayerAddress!.ToString());
        Assert.True(v4.IsResolved);
        Assert.NotNull(v6);
        Assert.Equal("020000000008", v6.LinkLayerAddress!.ToString());
        Assert.Null(absent);
        // The list also holds what the kernel made itself once the link came up (IPv6 multicast entries).
        Assert.Contains(v4, listed);
        Assert.Contains(v6, listed);
        Assert.All(listed, n => Assert.Equal(index, n.InterfaceIndex));
    }

    [Fact]
    public void Neighbour_resolution_finds_the_peers_mac_across_a_veth_pair()
    {
        using var peer = NetworkNamespace.Create("nlpeer");
        using var veth = VethPair.Create(_ns, "veth0", peer, "veth1", ["192.0.2.1/24", "2001:db8::1/64"], ["192.0.2.2/24", "2001:db8::2/64"]);
        var peerMac = veth.SecondMacAddress;

        var (v4, v6) = InNamespace(client =>
        {
            var index = client.GetLinkIndex("veth0");
            client.RequestNeighbourResolution(index, IPAddress.Parse("192.0.2.2"));
            client.RequestNeighbourResolution(index, IPAddress.Parse("2001:db8::2"));
            return (WaitResolved(client, index, IPAddress.Parse("192.0.2.2")), WaitResolved(client, index, IPAddress.Parse("2001:db8::2")));
        });

        Assert.Equal(peerMac, v4.LinkLayerAddress);
        Assert.Equal(NeighbourState.Reachable, v4.State);
        Assert.Equal(peerMac, v6.LinkLayerAddress);
    }

    [Fact]
    public void A_client_that_is_disposed_refuses_further_calls()
    {
        var error = _ns.Run(() =>
        {
            var client = new RtnetlinkClient();
            client.Dispose();
            client.Dispose();
            return Assert.Throws<ObjectDisposedException>(() => client.ListLinks());
        });

        Assert.Contains(nameof(RtnetlinkClient), error.Message, StringComparison.Ordinal);
    }

    private static NeighbourInfo WaitResolved(RtnetlinkClient client, int index, IPAddress address)
    {
        var clock = Stopwatch.StartNew();
        var asked = Stopwatch.StartNew();
        while (true)
        {
            var entry = client.GetNeighbour(index, address);
            if (entry is { IsResolved: true })
            {
                return entry;
            }

            if (entry?.State == NeighbourState.Failed && asked.Elapsed > TimeSpan.FromSeconds(1))
            {
                // The kernel gave up (its probes went out before the other end could answer, as on a loaded machine
                // right after the pair came up): ask again, as a router resolving a next hop does.
                client.RequestNeighbourResolution(index, address);
                asked.Restart();
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException($"neighbour {address} not resolved after 10 s; last state {entry?.State.ToString() ?? "absent"}");
            }

            Thread.Sleep(20);
        }
    }

    private static string FormatMac(byte[] bytes) => string.Join(':', bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
