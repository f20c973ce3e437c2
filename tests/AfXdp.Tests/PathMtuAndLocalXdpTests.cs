using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// What only RouterHost can do behind an AF_XDP interface, where the kernel sees no IP packet: answer pings to the
/// interface's own addresses, route between the interfaces' prefixes without configured routes, and tell a sender
/// that its packet is larger than the egress's MTU (or fragment it when it may). The hosts' kernels judge.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class PathMtuAndLocalXdpTests
{
    [Fact]
    public void The_router_answers_pings_to_its_AF_XDP_interface_s_own_addresses_from_either_side()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToXdp);
        net.WarmUp(IPAddress.Parse("10.1.0.1"));

        ExecResult v4 = net.A.Exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "10.1.0.1");
        ExecResult v6 = PingUntilAnswered(net.A, "fd01::1");
        ExecResult across = PingUntilAnswered(net.B, "10.1.0.1");

        Assert.True(v4.ExitCode == 0, v4.StdOut + v4.StdErr + net.Describe());
        Assert.Contains("3 received", v4.StdOut, StringComparison.Ordinal);
        Assert.True(v6.ExitCode == 0, v6.StdOut + v6.StdErr + net.Describe());
        Assert.True(across.ExitCode == 0, across.StdOut + across.StdErr + net.Describe());
        Assert.Null(net.Fault);
    }

    [Fact]
    public void Two_AF_XDP_interfaces_with_addresses_and_no_routes_forward_between_their_prefixes()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToXdp, configuredRoutes: false);

        net.WarmUp(RoutedXdpNamespaces.B4);
        ExecResult v6 = PingUntilAnswered(net.A, RoutedXdpNamespaces.B6.ToString());

        Assert.True(v6.ExitCode == 0, v6.StdOut + v6.StdErr + net.Describe());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_DF_packet_from_an_AF_XDP_interface_over_a_tunnel_s_MTU_draws_fragmentation_needed_carrying_1420(bool ipv6)
    {
        Requires.NetworkNamespaces();
        string directory = Directory.CreateTempSubdirectory("rh-xdp-wg-").FullName;
        try
        {
            // A WireGuard stage whose one peer (never reached: its endpoint is the router namespace's own loopback)
            // owns 10.88.0.0/24 and fd88::/64; the tunnel's inner MTU is the default 1420, xa's MTU is 1500.
            string key = Path.Combine(directory, "wg.key");
            File.WriteAllText(key, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            string peer = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            string wireGuard = $$"""
                , { "Type": "WireGuard", "Name": "wg", "Settings": { "PrivateKeyFile": "{{key}}", "ListenPort": 51820, "Sockets": 1,
                    "ListenAddresses": [ "127.0.0.1" ], "Namespace": "@R",
                    "Peers": { "far": { "PublicKey": "{{peer}}", "Endpoint": "127.0.0.1:51999", "AllowedIPs": [ "10.88.0.0/24", "fd88::/64" ] } } } }
                """;
            using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToTun, extraStages: wireGuard);
            net.WarmUp(IPAddress.Parse("10.1.0.1"));
            PingUntilAnswered(net.A, "fd01::1");

            ExecResult tooBig = net.A.Exec(TimeSpan.FromSeconds(30), "ping", ipv6 ? "-6" : "-4", "-M", "do", "-s", ipv6 ? "1452" : "1472", "-c", "1", "-W", "3", ipv6 ? "fd88::2" : "10.88.0.2");

            string expected = ipv6 ? "From fd01::1 icmp_seq=1 Packet too big: mtu=1420" : "From 10.1.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1420)";
            Assert.True(tooBig.StdOut.Contains(expected, StringComparison.Ordinal), tooBig.StdOut + tooBig.StdErr + net.Describe());
            Assert.Null(net.Fault);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Datagrams_larger_than_an_AF_XDP_interface_s_MTU_are_fragmented_without_DF_and_refused_with_fragmentation_needed_with_it()
    {
        Requires.NetworkNamespaces();
        using var net = RoutedXdpNamespaces.Start(RoutedXdpNamespaces.Topology.XdpToTun, tunMtu: 9000);
        net.WarmUp(RoutedXdpNamespaces.B4);
        using Socket receiver = net.A.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(RoutedXdpNamespaces.A4, 9000));
            s.ReceiveTimeout = 5000;
            return s;
        });
        using Socket sender = net.B.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
        var target = new IPEndPoint(RoutedXdpNamespaces.A4, 9000);

        // Without DF: the router cuts them to xa's MTU of 1500, A's kernel puts them back together.
        sender.DontFragment = false;
        var buffer = new byte[9000];
        foreach (int size in new[] { 2000, 5000 })
        {
            sender.SendTo(RandomNumberGenerator.GetBytes(size), target);
            Assert.Equal(size, receiver.Receive(buffer));
        }

        // With DF: refused, and the sender's kernel hears xa's MTU.
        sender.DontFragment = true;
        sender.SendTo(new byte[2000], target);
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        ExecResult route;
        do
        {
            Thread.Sleep(50);
            route = net.B.Ip("route", "get", RoutedXdpNamespaces.A4.ToString());
        }
        while (!route.StdOut.Contains("mtu 1500", StringComparison.Ordinal) && DateTime.UtcNow < deadline);

        Assert.Contains("mtu 1500", route.StdOut, StringComparison.Ordinal);
        Dictionary<string, long> drops = net.Counters("xa").Drops;
        Assert.Equal(0, drops.GetValueOrDefault("afxdp.tx.larger_than_mtu"));
        Assert.Equal(0, drops.GetValueOrDefault("afxdp.tx.larger_than_frame"));
    }

    private static ExecResult PingUntilAnswered(NetworkNamespace from, string target)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        ExecResult result;
        do
        {
            result = from.Exec("ping", "-c", "1", "-W", "1", target);
        }
        while (result.ExitCode != 0 && DateTime.UtcNow < deadline);

        return result;
    }
}
