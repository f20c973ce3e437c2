using System.Net;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// RouterHost's WireGuard stage against Debian's wireguard-go, each in its own network namespace joined by a veth
/// pair: the namespaces' own programs (ping, TCP sockets) talk across the tunnel, so the kernels on both ends are the
/// judges of what arrives.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class WireGuardGoInteropTests
{
    private const int RouterHostPort = 51820;
    private const int WireGuardGoPort = 51830;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void RouterHost_initiates_and_pings_cross_the_tunnel_both_ways(bool ipv6Underlay, bool withPsk)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using GoPeerTunnel tunnel = GoPeerTunnel.Start("wgi");
        var (net, keys, peer, log) = tunnel;
        string? psk = withPsk ? KeyPair.NewPresharedKey() : null;
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", presharedKey: psk);
        using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], PeerSettings(keys, peer, Endpoint(sideA: false, ipv6Underlay, WireGuardGoPort), psk)), log);

        ExecResult ping = Ping(net.A, OverlayB4);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n--- RouterHost:\n{node.Describe()}\n{log.Text}\n--- wireguard-go:\n{peer.Log}");
        Assert.NotEqual(0, peer.LatestHandshake(keys.PublicKey));
        ExecResult ping6 = Ping(net.A, OverlayB6);
        Assert.True(ping6.Succeeded, $"{ping6.StdOut}{ping6.StdErr}");
        ExecResult back = Ping(net.B, OverlayA4);
        Assert.True(back.Succeeded, $"{back.StdOut}{back.StdErr}");
        ExecResult back6 = Ping(net.B, OverlayA6);
        Assert.True(back6.Succeeded, $"{back6.StdOut}{back6.StdErr}");
        Assert.Null(node.Fault);
    }

    [Fact]
    public void WireGuard_go_initiates_to_a_RouterHost_that_knows_no_endpoint_and_RouterHost_learns_it()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using GoPeerTunnel tunnel = GoPeerTunnel.Start("wgi");
        var (net, keys, peer, log) = tunnel;
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", endpoint: Endpoint(sideA: true, ipv6: false, RouterHostPort));
        using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], PeerSettings(keys, peer, endpoint: null, psk: null)), log);

        // RouterHost has no endpoint for the peer: sending to it is refused until the peer has reached us.
        Assert.False(Ping(net.A, OverlayB4, count: 1).Succeeded);
        ExecResult ping = Ping(net.B, OverlayA4);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n--- RouterHost:\n{node.Describe()}\n{log.Text}\n--- wireguard-go:\n{peer.Log}");
        Assert.Equal(Endpoint(sideA: false, ipv6: false, WireGuardGoPort), node.Tunnel.Peers[0].Endpoint?.Remote.ToString());
        Assert.True(Ping(net.A, OverlayB4).Succeeded);
        Assert.True(Ping(net.A, OverlayB6).Succeeded);
        Assert.True(log.Contains("answered the handshake of go"), log.Text);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void A_200_MB_TCP_transfer_each_way_at_once_arrives_byte_exact(bool ipv6, bool withPsk)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using GoPeerTunnel tunnel = GoPeerTunnel.Start("wgt");
        var (net, keys, peer, log) = tunnel;
        string? psk = withPsk ? KeyPair.NewPresharedKey() : null;
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", endpoint: Endpoint(sideA: true, ipv6, RouterHostPort), presharedKey: psk);
        using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], PeerSettings(keys, peer, Endpoint(sideA: false, ipv6, WireGuardGoPort), psk)), log);

        const long Bytes = 200L << 20;
        using var outward = BulkTransfer.Start(net.A, net.B, ipv6 ? OverlayB6 : OverlayB4, 5001, Bytes, seed: 1);
        using var inward = BulkTransfer.Start(net.B, net.A, ipv6 ? OverlayA6 : OverlayA4, 5002, Bytes, seed: 2);
        outward.AssertCompletes(TimeSpan.FromMinutes(3), () => $"{node.Describe()}\n{log.Text}");
        inward.AssertCompletes(TimeSpan.FromMinutes(3), () => $"{node.Describe()}\n{log.Text}");
        Assert.Null(node.Fault);
    }

    [Fact]
    public void A_peer_restarted_mid_transfer_is_reconnected_and_the_transfer_completes_without_restarting_RouterHost()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("wgr");
        using var keys = new KeyPair();
        WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"]);
        try
        {
            peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", endpoint: Endpoint(sideA: true, ipv6: false, RouterHostPort));
            var log = new CapturedLog();
            using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], PeerSettings(keys, peer, Endpoint(sideA: false, ipv6: false, WireGuardGoPort), null)), log);
            const long Bytes = 300L << 20;
            using var transfer = BulkTransfer.Start(net.A, net.B, OverlayB4, 5003, Bytes, seed: 3);
            Assert.True(transfer.WaitForReceived(40L << 20, TimeSpan.FromMinutes(1)), node.Describe());

            // The peer process dies with its sessions; a new one with the same key and configuration comes up.
            string privateKey = peer.PrivateKey;
            peer.Dispose();
            Thread.Sleep(500);
            long before = transfer.Received;
            peer = WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"], privateKey: privateKey);
            peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", endpoint: Endpoint(sideA: true, ipv6: false, RouterHostPort));

            transfer.AssertCompletes(TimeSpan.FromMinutes(3), () => $"{node.Describe()}\n{log.Text}\n{peer.Log}");
            Assert.True(transfer.Received > before);
            Assert.True(node.Tunnel.Sum().HandshakesAccepted[1] + node.Tunnel.Sum().HandshakesAccepted[2] >= 2, node.Describe());
            Assert.Null(node.Fault);
        }
        finally
        {
            peer.Dispose();
        }
    }

    [Fact]
    public void When_the_peer_sends_from_a_new_port_RouterHost_follows_it()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using GoPeerTunnel tunnel = GoPeerTunnel.Start("wgm");
        var (net, keys, peer, log) = tunnel;
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", endpoint: Endpoint(sideA: true, ipv6: false, RouterHostPort));
        using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], PeerSettings(keys, peer, Endpoint(sideA: false, ipv6: false, WireGuardGoPort), null)), log);
        Assert.True(Ping(net.A, OverlayB4).Succeeded, node.Describe());

        // The peer's socket moves (a NAT rebinding looks the same): its next authenticated packet tells RouterHost.
        peer.Wg("set", peer.InterfaceName, "listen-port", "51844");
        ExecResult ping = Ping(net.B, OverlayA4);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{node.Describe()}\n{log.Text}");
        Assert.Equal(Endpoint(sideA: false, ipv6: false, 51844), node.Tunnel.Peers[0].Endpoint?.Remote.ToString());
        Assert.True(Ping(net.A, OverlayB4).Succeeded, node.Describe());
    }

    private static string PeerSettings(KeyPair keys, WireGuardGoPeer peer, string? endpoint, string? psk) =>
        GoPeerTunnel.PeerSettings(keys, peer, endpoint, psk);
}
