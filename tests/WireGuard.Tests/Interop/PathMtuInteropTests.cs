using System.Net;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// Path MTU and the router's own addresses across a real tunnel: RouterHost with a TUN of MTU 1500 in namespace A and
/// a WireGuard stage (inner MTU 1420, the default) to Debian's wireguard-go in B. The namespaces' own ping, tracepath
/// and TCP stack are the judges: they must learn the tunnel's MTU from the router's ICMP errors.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class PathMtuInteropTests
{
    private const int RouterHostPort = 51820;
    private const int WireGuardGoPort = 51830;
    private static readonly IPAddress Router4 = IPAddress.Parse("10.88.0.254");
    private static readonly IPAddress Router6 = IPAddress.Parse("fd88::fe");

    private static readonly string Routing = $$"""
        { "IcmpSource": { "IPv4": "{{Router4}}", "IPv6": "{{Router6}}" } }
        """;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_DF_packet_over_the_tunnel_MTU_from_a_1500_byte_TUN_draws_fragmentation_needed_carrying_1420(bool ipv6)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using Tunnel tunnel = Tunnel.Start("pmt", Routing);
        NamespacePair net = tunnel.Net;
        IPAddress target = ipv6 ? OverlayB6 : OverlayB4;
        Assert.True(Ping(net.A, target).Succeeded, tunnel.Describe());

        // 1500 bytes on the wire: 1472 (1452) of ICMP data, 8 of ICMP header, 20 (40) of IP header.
        ExecResult tooBig = net.A.Exec(TimeSpan.FromSeconds(30), "ping", ipv6 ? "-6" : "-4", "-M", "do", "-s", ipv6 ? "1452" : "1472", "-c", "1", "-W", "3", target.ToString());

        string expected = ipv6 ? $"From {Router6} icmp_seq=1 Packet too big: mtu=1420" : $"From {Router4} icmp_seq=1 Frag needed and DF set (mtu = 1420)";
        Assert.True(tooBig.StdOut.Contains(expected, StringComparison.Ordinal), $"{tooBig.StdOut}{tooBig.StdErr}\n{tunnel.Describe()}");
        Assert.True(tunnel.Dropped("routing.too_big") >= 1, tunnel.Describe());

        // What fits the tunnel exactly crosses it.
        ExecResult fits = net.A.Exec(TimeSpan.FromSeconds(30), "ping", ipv6 ? "-6" : "-4", "-M", "do", "-s", ipv6 ? "1372" : "1392", "-c", "2", "-i", "0.2", "-W", "3", target.ToString());
        Assert.True(fits.Succeeded, $"{fits.StdOut}{fits.StdErr}\n{tunnel.Describe()}");
        Assert.Null(tunnel.Node.Fault);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tracepath_across_the_tunnel_reports_a_path_MTU_of_1420(bool ipv6)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        Assert.SkipWhen(!File.Exists("/usr/bin/tracepath"), "tracepath is not installed (apt-get install iputils-tracepath)");
        using Tunnel tunnel = Tunnel.Start("pmt", Routing);
        NamespacePair net = tunnel.Net;
        IPAddress target = ipv6 ? OverlayB6 : OverlayB4;
        Assert.True(Ping(net.A, target).Succeeded, tunnel.Describe());

        ExecResult trace = net.A.Exec(TimeSpan.FromSeconds(60), "tracepath", ipv6 ? "-6" : "-4", "-n", "-m", "5", target.ToString());

        Assert.True(trace.StdOut.Contains("Resume: pmtu 1420", StringComparison.Ordinal), $"{trace.StdOut}{trace.StdErr}\n{tunnel.Describe()}");
        Assert.Contains("pmtu 1500", trace.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public void A_TCP_stream_from_the_1500_byte_TUN_crosses_the_1420_byte_tunnel_byte_exact_as_superpackets_of_fitting_segments()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using Tunnel tunnel = Tunnel.Start("pmt", Routing);
        NamespacePair net = tunnel.Net;

        using var outward = BulkTransfer.Start(net.A, net.B, OverlayB4, 5001, 32L << 20, seed: 1);
        outward.AssertCompletes(TimeSpan.FromMinutes(2), tunnel.Describe);

        // The TUN hands RouterHost TSO superpackets far larger than 1420 bytes (the peer's MSS makes their segments
        // fit): judged by their total length every one would have been refused and the stream would not complete.
        Assert.Equal(0, tunnel.Dropped("routing.too_big"));
        Assert.Null(tunnel.Node.Fault);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_router_answers_pings_to_its_own_address_from_the_TUN_and_from_the_peer(bool ipv6)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using Tunnel tunnel = Tunnel.Start("pmo", Routing);
        NamespacePair net = tunnel.Net;
        IPAddress router = ipv6 ? Router6 : Router4;

        ExecResult fromTun = Ping(net.A, router);
        ExecResult fromPeer = Ping(net.B, router);

        Assert.True(fromTun.Succeeded, $"{fromTun.StdOut}{fromTun.StdErr}\n{tunnel.Describe()}");
        Assert.True(fromPeer.Succeeded, $"{fromPeer.StdOut}{fromPeer.StdErr}\n{tunnel.Describe()}");
        Assert.Contains($"from {router}", fromTun.StdOut, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_node_configured_with_only_its_TUN_s_addresses_and_a_peer_forwards_both_ways()
    {
        // docs/configuration.md's shape: the TUN's addresses and the peer's allowed IPs, no route written by hand.
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using Tunnel tunnel = Tunnel.Start("pmc", "{ }");
        NamespacePair net = tunnel.Net;

        ExecResult out4 = Ping(net.A, OverlayB4);
        ExecResult back4 = Ping(net.B, OverlayA4);
        ExecResult back6 = Ping(net.B, OverlayA6);

        Assert.True(out4.Succeeded && back4.Succeeded && back6.Succeeded, $"{out4.StdOut}{back4.StdOut}{back6.StdOut}\n{tunnel.Describe()}");
    }

    /// <summary>RouterHost (TUN MTU 1500, WireGuard inner MTU 1420) in A and wireguard-go (MTU 1420) in B, each allowing the other's whole overlay prefix.</summary>
    private sealed class Tunnel : IDisposable
    {
        private readonly GoPeerTunnel _tunnel;

        private Tunnel(GoPeerTunnel tunnel) => _tunnel = tunnel;

        public NamespacePair Net => _tunnel.Net;

        public RouterHostNode Node => _tunnel.Node!;

        public static Tunnel Start(string prefix, string routingSettings)
        {
            var tunnel = new Tunnel(GoPeerTunnel.Start(prefix));
            try
            {
                tunnel._tunnel.Peer.SetPeer(tunnel._tunnel.Keys.PublicKey, "10.88.0.0/24,fd88::/64", endpoint: Endpoint(sideA: true, ipv6: false, RouterHostPort));
                string wireGuard = GoPeerTunnel.PeerSettings(tunnel._tunnel.Keys, tunnel._tunnel.Peer, Endpoint(sideA: false, ipv6: false, WireGuardGoPort), psk: null);
                tunnel._tunnel.StartNode(wireGuard, tunMtu: 1500, routingSettings: routingSettings);
                return tunnel;
            }
            catch
            {
                tunnel.Dispose();
                throw;
            }
        }

        public long Dropped(string reason)
        {
            long total = 0;
            foreach (StageStatistics stage in Node.Runner.Metrics.SnapshotStages())
            {
                total += stage.Dropped.GetValueOrDefault(reason);
            }

            return total;
        }

        public string Describe() => _tunnel.Describe();

        public void Dispose() => _tunnel.Dispose();
    }
}
