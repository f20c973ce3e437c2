using System.Net;
using RouterHost.Abstractions;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// The peers' AllowedIPs as kernel routes on the node's TUN: there while the router runs, following a peer that is
/// registered later (as a live reload or UAPI adds one), gone when it stops; and none with <c>KernelRoutes: false</c>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class KernelRouteTests
{
    [Fact]
    public void Peer_prefixes_become_kernel_routes_follow_a_peer_added_later_and_go_at_stop()
    {
        using NamespacePair net = TunnelNamespaces.Create("kr");
        using var keys = new KeyPair();
        string settings = $$"""
            { "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": 0, "Sockets": 1, "Namespace": "@NS",
              "Peers": { "b": { "PublicKey": "{{KeyPair.NewPresharedKey()}}", "AllowedIPs": [ "10.70.0.0/16", "fd70::/48" ] } } }
            """;
        var log = new CapturedLog();
        using (RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24"], settings, routingSettings: "{}"), log))
        {
            Assert.Contains("10.70.0.0/16 proto 210", net.A.Ip("route", "show", "dev", "rhwg0").StdOut, StringComparison.Ordinal);
            Assert.Contains("fd70::/48 proto 210", net.A.Ip("-6", "route", "show", "dev", "rhwg0").StdOut, StringComparison.Ordinal);

            // A peer registered while running (the live path of a reload): its prefix follows, the others stay.
            node.Router.Ports.AddPeer("wg", new PeerRegistration("late", [], [IPNetwork.Parse("10.71.0.0/16")], 0));
            string routes = net.A.Ip("route", "show", "dev", "rhwg0").StdOut;
            Assert.Contains("10.71.0.0/16 proto 210", routes, StringComparison.Ordinal);
            Assert.Contains("10.70.0.0/16 proto 210", routes, StringComparison.Ordinal);
            Assert.Equal(3, node.Router.KernelRoutes!.Current.Prefixes.Count);
        }

        Assert.Equal(string.Empty, net.A.Ip("route", "show", "table", "all", "proto", "210").StdOut.Trim());
    }

    [Fact]
    public void KernelRoutes_false_leaves_the_hosts_routes_alone()
    {
        using NamespacePair net = TunnelNamespaces.Create("krf");
        using var keys = new KeyPair();
        string settings = $$"""
            { "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": 0, "Sockets": 1, "Namespace": "@NS",
              "Peers": { "b": { "PublicKey": "{{KeyPair.NewPresharedKey()}}", "AllowedIPs": [ "10.70.0.0/16" ] } } }
            """;
        string json = RouterHostNode.Config(net.A, ["10.88.0.1/24"], settings, routingSettings: "{}")
            .Replace("\"tun\": { \"Backend\": \"LinuxTun\",", "\"tun\": { \"Backend\": \"LinuxTun\", \"KernelRoutes\": false,", StringComparison.Ordinal);
        using RouterHostNode node = RouterHostNode.Start(json);

        Assert.Null(node.Router.KernelRoutes);
        Assert.DoesNotContain("10.70.0.0", net.A.Ip("route", "show").StdOut, StringComparison.Ordinal);
    }
}
