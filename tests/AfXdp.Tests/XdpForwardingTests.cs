namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// RouterHost routing through AF_XDP interfaces on veth pairs between network namespaces; the hosts' kernels are
/// the oracle (ping answers, byte-exact TCP streams, their ARP and neighbour tables, what `ip link` shows).
/// </summary>
[NeedsRoot]
public sealed class XdpForwardingTests
{
    private const long Megabytes100 = 100L << 20;
    private const long Megabytes32 = 32L << 20;

    [Fact]
    public void Ping_crosses_two_AF_XDP_interfaces_both_ways_over_IPv4_and_IPv6()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToXdp);
        net.WarmUp(RoutedXdpNamespaces.B4);

        ExecResult v4 = net.A.Exec("ping", "-c", "5", "-i", "0.2", "-W", "2", RoutedXdpNamespaces.B4.ToString());
        Assert.True(v4.ExitCode == 0, v4.StdOut + v4.StdErr + net.Describe());
        Assert.Contains("5 received", v4.StdOut, StringComparison.Ordinal);
        net.WarmUp(RoutedXdpNamespaces.B6);
        ExecResult v6 = net.A.Exec("ping", "-6", "-c", "5", "-i", "0.2", "-W", "2", RoutedXdpNamespaces.B6.ToString());
        Assert.True(v6.ExitCode == 0, v6.StdOut + v6.StdErr + net.Describe());
        Assert.Contains("5 received", v6.StdOut, StringComparison.Ordinal);
        Assert.Null(net.Fault);
    }

    [Fact]
    public void A_100_MB_TCP_stream_crosses_two_AF_XDP_interfaces_byte_exact()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToXdp);
        net.WarmUp(RoutedXdpNamespaces.B4);

        var (sent, received) = net.TransferAToB(ipv6: false, Megabytes100);

        Assert.Equal(sent, received);
        Assert.Null(net.Fault);
        var (xaReceived, _, _) = net.Counters("xa");
        var (_, xbSent, _) = net.Counters("xb");
        Assert.True(xaReceived > 70_000, $"xa received only {xaReceived} packets; {net.Describe()}");
        Assert.True(xbSent > 70_000, $"xb sent only {xbSent} packets; {net.Describe()}");
        Assert.True(RoutedXdpNamespaces.XdpCounters().GetValueOrDefault("xb:routerhost.afxdp.tx.completions") > 70_000);
    }

    [Fact]
    public void An_IPv6_TCP_stream_crosses_two_AF_XDP_interfaces_byte_exact_both_ways()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToXdp);
        net.WarmUp(RoutedXdpNamespaces.B6);

        var (sent, received) = net.TransferAToB(ipv6: true, Megabytes32);
        var (sentBack, receivedBack) = net.TransferBToA(ipv6: true, Megabytes32);

        Assert.Equal(sent, received);
        Assert.Equal(sentBack, receivedBack);
        Assert.Null(net.Fault);
    }

    [Fact]
    public void Ping_and_100_MB_TCP_streams_cross_between_an_AF_XDP_interface_and_a_TUN_interface_both_ways()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToTun);
        net.WarmUp(RoutedXdpNamespaces.B4);
        ExecResult ping = net.A.Exec("ping", "-c", "5", "-i", "0.2", "-W", "2", RoutedXdpNamespaces.B4.ToString());
        Assert.True(ping.ExitCode == 0, ping.StdOut + ping.StdErr + net.Describe());
        Assert.Contains("5 received", ping.StdOut, StringComparison.Ordinal);

        var (sent, received) = net.TransferAToB(ipv6: false, Megabytes100);
        // B → A: the TUN hands RouterHost TSO superpackets, which the runner segments for the AF_XDP interface.
        var (sentBack, receivedBack) = net.TransferBToA(ipv6: false, Megabytes100);

        Assert.Equal(sent, received);
        Assert.Equal(sentBack, receivedBack);
        Assert.Null(net.Fault);
        Assert.True(net.Counters("xa").Sent > 70_000, net.Describe());
    }

    [Fact]
    public void ARP_and_neighbour_discovery_keep_working_through_the_XDP_program()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToXdp);
        net.WarmUp(RoutedXdpNamespaces.B4);
        net.WarmUp(RoutedXdpNamespaces.B6);
        string xaMac = EthernetFrameMac(net.Container("xa").MacAddress);

        // A resolved the router's addresses: the kernel behind the XDP program answered its ARP request and its
        // neighbour solicitation, which the program passed up.
        string arp = net.A.Ip("neigh", "show", "10.1.0.1", "dev", "eth0").EnsureSuccess().StdOut;
        string nd = net.A.Ip("-6", "neigh", "show", "fd01::1", "dev", "eth0").EnsureSuccess().StdOut;
        Assert.Contains($"lladdr {xaMac}", arp, StringComparison.Ordinal);
        Assert.Contains($"lladdr {xaMac}", nd, StringComparison.Ordinal);

        // The router resolved A through its kernel (our NTF_USE request, the kernel's ARP / NS, A's answer passed up).
        string routerSide = net.R.Ip("neigh", "show", "dev", "xa").EnsureSuccess().StdOut;
        Assert.Contains("10.1.0.2", routerSide, StringComparison.Ordinal);
        Assert.Contains("fd01::2", routerSide, StringComparison.Ordinal);
        Assert.True(net.Container("xa").Resolver.Resolutions >= 2);
        Assert.True(RoutedXdpNamespaces.XdpCounters().GetValueOrDefault("xa:routerhost.afxdp.neighbour.resolutions") >= 2);
    }

    [Fact]
    public void The_XDP_program_is_on_both_devices_while_RouterHost_runs_and_gone_when_it_stops()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToXdp);
        Assert.True(RoutedXdpNamespaces.HasXdpProgram(net.R, "xa"));
        Assert.True(RoutedXdpNamespaces.HasXdpProgram(net.R, "xb"));
        Assert.True(net.Container("xa").NativeXdp, "veth supports native XDP: the program should run in the driver");

        net.StopRouter();

        Assert.False(RoutedXdpNamespaces.HasXdpProgram(net.R, "xa"), net.R.Ip("-d", "link", "show", "xa").StdOut);
        Assert.False(RoutedXdpNamespaces.HasXdpProgram(net.R, "xb"));
        // The router's addresses added for ARP are gone too; the devices stay.
        Assert.DoesNotContain("10.1.0.1", net.R.Ip("addr", "show", "dev", "xa").EnsureSuccess().StdOut, StringComparison.Ordinal);
    }

    private static string EthernetFrameMac(ulong mac) => Internal.EthernetFrame.Format(mac);
}
