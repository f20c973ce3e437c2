using System.Net;
using RouterHost.Linux.TestSupport;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// RouterHost's WireGuard stage against Debian's wireguard-go, each in its own network namespace joined by a veth
/// pair: the namespaces' own programs (ping, TCP sockets) talk across the tunnel, so the kernels on both ends are the
/// judges of what arrives.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
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
        using TunnelNamespaces net = TunnelNamespaces.Create("wgi");
        using var keys = new KeyPair();
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"]);
        string? psk = withPsk ? KeyPair.NewPresharedKey() : null;
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", presharedKey: psk);
        var log = new CapturedLog();
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

    internal static string PeerSettings(KeyPair keys, WireGuardGoPeer peer, string? endpoint, string? psk, string extra = "")
    {
        string pskLine = psk is null ? string.Empty : $"\"PresharedKeyFile\": \"{keys.WriteSecret("peer.psk", psk)}\",";
        string endpointLine = endpoint is null ? string.Empty : $"\"Endpoint\": \"{endpoint}\",";
        return $$"""
            {
              "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": {{RouterHostPort}}, "Sockets": 1, "Namespace": "@NS", {{extra}}
              "Peers": { "go": { "PublicKey": "{{peer.PublicKey}}", {{pskLine}} {{endpointLine}} "AllowedIPs": [ "10.88.0.2/32", "fd88::2/128" ] } }
            }
            """;
    }
}
