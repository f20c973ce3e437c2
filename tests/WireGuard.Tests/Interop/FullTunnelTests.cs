using System.Net;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// A full tunnel, as wg-quick sets one up: RouterHost's peer allows <c>0.0.0.0/0</c> and <c>::/0</c>, so the kernel's
/// default route in A points into RouterHost's TUN, while A reaches wireguard-go's endpoint only through its own default
/// gateway. The tunnel's UDP must not follow that default route into the TUN: RouterHost marks its sockets and installs
/// the policy rules, the test checks that the handshake and a transfer work and that everything is gone after stop.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class FullTunnelTests
{
    private const int WireGuardGoPort = 51830;
    private static readonly IPAddress Behind4 = IPAddress.Parse("203.0.113.7");
    private static readonly IPAddress Behind6 = IPAddress.Parse("fd99::7");

    [Fact]
    public void With_the_default_route_through_the_tunnel_an_address_behind_the_peer_is_reached_and_the_underlay_still_flows()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("wgf");

        // The peer's endpoint is off A's link, reached through A's default gateway (B), as on a real host.
        net.B.Ip("addr", "add", "198.51.100.2/32", "dev", "ul0").EnsureSuccess();
        net.A.Ip("route", "add", "default", "via", UnderlayB4.ToString(), "dev", "ul0").EnsureSuccess();
        net.B.Ip("addr", "add", $"{Behind4}/32", "dev", "lo").EnsureSuccess();
        net.B.Ip("addr", "add", $"{Behind6}/128", "dev", "lo").EnsureSuccess();

        using var keys = new KeyPair();
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"]);
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128");
        // The peer is docs/configuration.md's full-tunnel example; its key and endpoint are this test's.
        string peers = Documentation.DocumentedConfiguration.Extract("configuration.md", "## Kernel routes and full tunnel")
            .Replace("\"PublicKey\": \"…\"", $"\"PublicKey\": \"{peer.PublicKey}\"", StringComparison.Ordinal)
            .Replace("198.51.100.9:51820", $"198.51.100.2:{WireGuardGoPort}", StringComparison.Ordinal);
        Assert.Contains("\"AllowedIPs\": [ \"0.0.0.0/0\", \"::/0\" ]", peers, StringComparison.Ordinal);
        string settings = $$"""
            {
              "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": 0, "Sockets": 1, "Namespace": "@NS",
              {{peers}}
            }
            """;
        var log = new CapturedLog();
        using (RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], settings, routingSettings: "{}"), log))
        {
            uint mark = node.Tunnel.FirewallMark;
            Assert.Equal((uint)node.Tunnel.ListenPort, mark);
            string rules4 = net.A.Ip("-4", "rule", "show").EnsureSuccess().StdOut;
            Assert.Contains($"not from all fwmark 0x{mark:x} lookup {mark} proto 210", rules4, StringComparison.Ordinal);
            Assert.Contains("from all lookup main suppress_prefixlength 0 proto 210", rules4, StringComparison.Ordinal);
            Assert.Contains($"not from all fwmark 0x{mark:x} lookup {mark} proto 210", net.A.Ip("-6", "rule", "show").StdOut, StringComparison.Ordinal);
            Assert.Contains("default dev rhwg0 proto 210", net.A.Ip("-4", "route", "show", "table", $"{mark}").StdOut, StringComparison.Ordinal);
            Assert.Contains("dev rhwg0", net.A.Ip("route", "get", Behind4.ToString()).StdOut, StringComparison.Ordinal);

            ExecResult ping = Ping(net.A, Behind4);
            Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{net.A.Ip("rule").StdOut}\n{node.Describe()}\n{log.Text}\n--- wireguard-go:\n{peer.Log}");
            Assert.NotEqual(0, peer.LatestHandshake(keys.PublicKey));
            ExecResult ping6 = Ping(net.A, Behind6);
            Assert.True(ping6.Succeeded, $"{ping6.StdOut}{ping6.StdErr}\n{node.Describe()}");

            using var transfer = BulkTransfer.Start(net.A, net.B, Behind4, 5011, 20L << 20, seed: 11);
            transfer.AssertCompletes(TimeSpan.FromMinutes(2), () => $"{node.Describe()}\n{log.Text}");
            Assert.Null(node.Fault);
        }

        // Stopped: the rules, the table's route and the peer's routes are gone; the operator's default route stays.
        Assert.DoesNotContain("proto 210", net.A.Ip("-4", "rule", "show").StdOut + net.A.Ip("-6", "rule", "show").StdOut, StringComparison.Ordinal);
        Assert.Equal(string.Empty, net.A.Ip("-4", "route", "show", "table", "all", "proto", "210").StdOut.Trim());
        Assert.Equal(string.Empty, net.A.Ip("-6", "route", "show", "table", "all", "proto", "210").StdOut.Trim());
        Assert.Contains($"default via {UnderlayB4}", net.A.Ip("route", "show").StdOut, StringComparison.Ordinal);
    }
}
