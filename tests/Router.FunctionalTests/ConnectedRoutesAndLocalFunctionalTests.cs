using System.Net;
using System.Net.Sockets;
using RouterHost.Routing.Stage;

namespace RouterHost.FunctionalTests;

/// <summary>
/// Two TUN interfaces of one RouterHost in namespaces A (10.1.0.1/24, fd01::1/64) and B (10.2.0.2/24, fd02::2/64),
/// configured with no route at all: the interfaces' addresses are what the routing stage knows. The namespaces'
/// own ping and TCP sockets judge.
/// </summary>
[NeedsRoot]
public sealed class ConnectedRoutesAndLocalFunctionalTests
{
    private const string AcceptAll = """{ "DefaultPolicy": { "Outbound": "accept", "Inbound": "accept" } }""";

    private static bool Skip => !NetworkNamespace.IsSupported;

    [Fact]
    public void A_configuration_with_interface_addresses_and_no_routes_forwards_between_their_prefixes()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(AcceptAll, configuredRoutes: false);

        ExecResult v4 = net.A.Exec("ping", "-c", "2", "-i", "0.2", "-W", "5", RoutedNamespaces.B4.ToString());
        ExecResult v6 = net.A.Exec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "5", RoutedNamespaces.B6.ToString());
        ExecResult back = net.B.Exec("ping", "-c", "2", "-i", "0.2", "-W", "5", RoutedNamespaces.A4.ToString());

        Assert.True(v4.ExitCode == 0, v4.ToString());
        Assert.True(v6.ExitCode == 0, v6.ToString());
        Assert.True(back.ExitCode == 0, back.ToString());
    }

    [Fact]
    public void With_connected_routes_turned_off_the_same_configuration_does_not_forward()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(AcceptAll, configuredRoutes: false, routingOptions: "\"ConnectedRoutes\": false,");

        ExecResult v4 = net.A.Exec("ping", "-c", "1", "-W", "3", RoutedNamespaces.B4.ToString());

        Assert.NotEqual(0, v4.ExitCode);
        Assert.Contains("Destination Net Unreachable", v4.StdOut, StringComparison.Ordinal);
        Assert.True(net.StageDrops("Routing").GetValueOrDefault("routing.no_route") >= 1);
    }

    [Fact]
    public void The_router_answers_a_ping_to_its_own_address_through_a_TUN_interface_and_drops_other_traffic_to_it()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(AcceptAll);

        // A routes 10.255.0.0/24 and fd00::/64 into its TUN; the router's ICMP source addresses are its own.
        ExecResult v4 = net.A.Exec("ping", "-c", "2", "-i", "0.2", "-W", "5", RoutedNamespaces.IcmpSource4);
        ExecResult v6 = net.A.Exec("ping", "-6", "-c", "2", "-i", "0.2", "-W", "5", RoutedNamespaces.IcmpSource6);
        Assert.True(v4.ExitCode == 0, v4.ToString());
        Assert.True(v6.ExitCode == 0, v6.ToString());
        Assert.Contains($"from {RoutedNamespaces.IcmpSource4}", v4.StdOut, StringComparison.Ordinal);
        Assert.Equal(4, net.Stage<RoutingStage>("Routing").GetCounters().EchoRepliesSent);

        // A TCP connection to it is neither forwarded nor answered: a counted drop of its own, not "no route".
        using Socket client = net.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        var connect = client.BeginConnect(new IPEndPoint(IPAddress.Parse(RoutedNamespaces.IcmpSource4), 22), null, null);
        Assert.False(connect.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(2)) && client.Connected);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (net.StageDrops("Routing").GetValueOrDefault("routing.addressed_to_router") == 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.True(net.StageDrops("Routing").GetValueOrDefault("routing.addressed_to_router") >= 1, string.Join(", ", net.StageDrops("Routing")));
    }
}
