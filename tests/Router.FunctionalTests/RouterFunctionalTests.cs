using System.Net;
using System.Net.Sockets;
using RouterHost.Firewall.Stage;
using RouterHost.Routing.Stage;

namespace RouterHost.FunctionalTests;

/// <summary>
/// The Firewall and Routing stages between two namespaces with real TUN devices; the kernels on both sides judge
/// what arrives: a refused TCP connection, an ICMP error a UDP socket reports, a silent drop that times out,
/// replies passing by connection tracking, time-exceeded for TTL 1, and a reload under traffic.
/// </summary>
[NeedsRoot]
public sealed class RouterFunctionalTests
{
    // Outbound traffic (from the interfaces) is dropped unless a rule accepts it, so replies only pass by
    // connection tracking: B may answer A's connections but not open its own.
    private const string Rules = """
        {
          "DefaultPolicy": { "Outbound": "drop" },
          "Rules": [
            { "Name": "telnet", "Action": "reject", "Protocol": "tcp", "Ports": [ "23" ] },
            { "Name": "dns", "Action": "reject", "Protocol": "udp", "Ports": [ "53" ] },
            { "Name": "discard", "Action": "drop", "Protocol": "tcp", "Ports": [ "9" ] },
            { "Name": "streams-from-inside", "Action": "accept", "From": [ "group:inside" ], "Protocol": "tcp", "Ports": [ "5201-5210" ] },
            { "Name": "echo-from-inside", "Action": "accept", "From": [ "tunA" ], "Protocol": "udp", "Ports": [ "7" ] },
            { "Name": "ping", "Action": "accept", "Protocol": "icmp", "IcmpType": 8 },
            { "Name": "ping6", "Action": "accept", "Protocol": "icmpv6", "IcmpType": 128 }
          ]
        }
        """;

    private static bool Skip => !NetworkNamespace.IsSupported;

    [Fact]
    public void A_TCP_connect_to_a_rejected_port_is_refused_at_once_over_IPv4_and_IPv6()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);
        foreach (IPAddress server in new[] { RoutedNamespaces.B4, RoutedNamespaces.B6 })
        {
            // Something listens on B:23, so only the router's RST can refuse the connection.
            using Socket listener = Listen(net.B, server, 23);
            using Socket client = net.A.Run(() => new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
            SocketError error = ConnectError(client, new IPEndPoint(server, 23), TimeSpan.FromSeconds(10));
            Assert.Equal(SocketError.ConnectionRefused, error);
        }

        Assert.True(net.StageDrops("Firewall").GetValueOrDefault("firewall.rule_reject") >= 2);
    }

    [Fact]
    public void A_UDP_datagram_to_a_rejected_port_draws_an_ICMP_error_that_the_sending_socket_reports()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);

        // Administratively prohibited: IPv4 type 3 code 13 is EHOSTUNREACH to Linux sockets, ICMPv6 type 1 code 1 EACCES.
        (IPAddress Server, SocketError Expected)[] cases = [(RoutedNamespaces.B4, SocketError.HostUnreachable), (RoutedNamespaces.B6, SocketError.AccessDenied)];
        foreach ((IPAddress server, SocketError expected) in cases)
        {
            using Socket client = net.A.Run(() => new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
            client.Connect(new IPEndPoint(server, 53));
            client.ReceiveTimeout = 10_000;
            client.Send("query"u8);
            var ex = Assert.Throws<SocketException>(() => client.Receive(new byte[64]));
            Assert.Equal(expected, ex.SocketErrorCode);
        }
    }

    [Fact]
    public void A_TCP_connect_to_a_dropped_port_times_out_without_any_answer()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);
        using Socket listener = Listen(net.B, RoutedNamespaces.B4, 9);
        using Socket client = net.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        SocketError error = ConnectError(client, new IPEndPoint(RoutedNamespaces.B4, 9), TimeSpan.FromSeconds(3));
        Assert.Equal(SocketError.TimedOut, error);
        Assert.True(net.StageDrops("Firewall").GetValueOrDefault("firewall.rule_drop") >= 1, "the SYN was not dropped by the discard rule");
    }

    [Fact]
    public void Replies_to_an_accepted_connection_pass_by_connection_tracking_while_the_other_side_cannot_open_one()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);

        // A → B on an accepted port: B's replies (SYN+ACK, ACKs) match no rule and the default drops, so only
        // conntrack lets them through; the stream must arrive byte-exact.
        using (var flow = new StreamFlow(net.A, net.B, RoutedNamespaces.B4, 5201, seed: 1))
        {
            Assert.True(flow.WaitForProgress(4 << 20, TimeSpan.FromSeconds(60)), "the accepted stream did not flow");
            (byte[] sent, byte[] received) = flow.Finish(TimeSpan.FromSeconds(30));
            Assert.Equal(sent, received);
        }

        // B → A on the same port range is a new connection from B, which no rule accepts.
        using Socket listener = Listen(net.A, RoutedNamespaces.A4, 5202);
        using Socket client = net.B.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        Assert.Equal(SocketError.TimedOut, ConnectError(client, new IPEndPoint(RoutedNamespaces.A4, 5202), TimeSpan.FromSeconds(3)));
        Assert.True(net.StageDrops("Firewall").GetValueOrDefault("firewall.default_drop") >= 1);
        Assert.True(net.Stage<FirewallStage>("Firewall").Conntrack.GetCounters().Hits > 100, "replies did not hit the connection table");
    }

    [Fact]
    public void A_packet_with_TTL_1_draws_time_exceeded_from_the_routers_address_and_pings_pass_otherwise()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);

        ExecResult ok = net.A.Exec("ping", "-c", "1", "-W", "5", RoutedNamespaces.B4.ToString());
        Assert.True(ok.ExitCode == 0, ok.ToString());

        ExecResult v4 = net.A.Exec("ping", "-c", "1", "-W", "5", "-t", "1", RoutedNamespaces.B4.ToString());
        Assert.Contains($"From {RoutedNamespaces.IcmpSource4}", v4.StdOut, StringComparison.Ordinal);
        Assert.Contains("Time to live exceeded", v4.StdOut, StringComparison.Ordinal);

        ExecResult v6 = net.A.Exec("ping", "-6", "-c", "1", "-W", "5", "-t", "1", RoutedNamespaces.B6.ToString());
        Assert.Contains($"From {RoutedNamespaces.IcmpSource6}", v6.StdOut, StringComparison.Ordinal);
        Assert.Contains("Time exceeded: Hop limit", v6.StdOut, StringComparison.Ordinal);

        RoutingCounters counters = net.Stage<RoutingStage>("Routing").GetCounters();
        Assert.Equal(2, counters.TimeExceededSent);
    }

    [Fact]
    public void A_destination_without_a_route_draws_destination_unreachable()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);

        // A routes 10.3.0.0/24 into its TUN, but the router has no route for it.
        ExecResult result = net.A.Exec("ping", "-c", "1", "-W", "5", "10.3.0.9");
        Assert.Contains($"From {RoutedNamespaces.IcmpSource4}", result.StdOut, StringComparison.Ordinal);
        Assert.Contains("Destination Net Unreachable", result.StdOut, StringComparison.Ordinal);
        Assert.True(net.StageDrops("Routing").GetValueOrDefault("routing.no_route") >= 1);
    }

    [Fact]
    public void A_reload_under_traffic_keeps_the_connection_it_allows_and_stops_the_one_it_forbids()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);
        using var kept = new StreamFlow(net.A, net.B, RoutedNamespaces.B4, 5203, seed: 3);
        using var stopped = new StreamFlow(net.A, net.B, RoutedNamespaces.B4, 5204, seed: 4);
        Assert.True(kept.WaitForProgress(1 << 20, TimeSpan.FromSeconds(30)));
        Assert.True(stopped.WaitForProgress(1 << 20, TimeSpan.FromSeconds(30)));

        // The new rules drop port 5204 ahead of the accept; every other rule stays.
        string forbidding = Rules.Replace(
            "\"Rules\": [",
            "\"Rules\": [ { \"Name\": \"no-5204\", \"Action\": \"drop\", \"Protocol\": \"tcp\", \"Ports\": [ \"5204\" ] },",
            StringComparison.Ordinal);
        net.Rewrite(forbidding);
        Assert.Equal(1, net.ReloadsApplied);

        Assert.True(kept.WaitForProgress(4 << 20, TimeSpan.FromSeconds(60)), "the allowed connection stopped after the reload");
        Thread.Sleep(500);
        long stalledAt = stopped.Received;
        Assert.True(kept.WaitForProgress(2 << 20, TimeSpan.FromSeconds(60)));
        Assert.Equal(stalledAt, stopped.Received);
        Assert.True(net.StageDrops("Firewall").GetValueOrDefault("firewall.rule_drop") > 0);

        (byte[] sent, byte[] received) = kept.Finish(TimeSpan.FromSeconds(30));
        Assert.Equal(sent, received);
    }

    [Fact]
    public void An_invalid_configuration_file_is_refused_and_the_last_good_rules_stay_in_force()
    {
        Assert.SkipWhen(Skip, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using RoutedNamespaces net = RoutedNamespaces.Start(Rules);
        net.Rewrite("""{ "Rules": [ { "Action": "explode", "Ports": [ "70000" ] } ] }""");
        Assert.Equal(1, net.ReloadsRefused);
        Assert.Equal(0, net.ReloadsApplied);

        using Socket listener = Listen(net.B, RoutedNamespaces.B4, 23);
        using Socket client = net.A.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        Assert.Equal(SocketError.ConnectionRefused, ConnectError(client, new IPEndPoint(RoutedNamespaces.B4, 23), TimeSpan.FromSeconds(10)));
    }

    private static Socket Listen(NetworkNamespace ns, IPAddress address, int port) => ns.Run(() =>
    {
        var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(address, port));
        s.Listen(4);
        return s;
    });

    /// <summary>Connects, returning Success, the socket error, or TimedOut when nothing answered in time.</summary>
    private static SocketError ConnectError(Socket client, EndPoint server, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            client.ConnectAsync(server, cts.Token).AsTask().GetAwaiter().GetResult();
            return SocketError.Success;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            return SocketError.TimedOut;
        }
    }
}
