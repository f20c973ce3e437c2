using RouterHost.Linux.TestSupport;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// RouterHost routing through AF_XDP interfaces on veth pairs between network namespaces; the hosts' kernels are
/// the oracle (ping answers, byte-exact TCP streams, their ARP and neighbour tables).
/// </summary>
public sealed class XdpForwardingTests
{
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
}
