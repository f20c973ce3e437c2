using System.Globalization;
using System.Security.Cryptography;
using RouterHost.Linux.TestSupport;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Interop;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Uapi;

/// <summary>
/// Debian's own <c>wg</c> (wireguard-tools) against a RouterHost WireGuard stage with <c>Uapi: true</c>, while it
/// runs a tunnel with wireguard-go: show, show all dump, showconf, set and syncconf. The socket is
/// /var/run/wireguard/NAME.sock with a random NAME no kernel link has; <c>wg</c> runs in the test's mount namespace,
/// which is where the socket file is.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WgToolTests
{
    private const int RouterHostPort = 51820;
    private const int WireGuardGoPort = 51830;

    [Fact]
    public void Wg_shows_and_sets_a_running_RouterHost_tunnel()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        string name = "rhu" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        using NamespacePair net = TunnelNamespaces.Create("wgu");
        using var keys = new KeyPair();
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"]);
        string psk = KeyPair.NewPresharedKey();
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", presharedKey: psk);
        var log = new CapturedLog();
        string endpoint = Endpoint(sideA: false, ipv6: false, WireGuardGoPort);
        RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], WireGuardGoInteropTests.PeerSettings(keys, peer, endpoint, psk, $"\"Uapi\": true, \"UapiName\": \"{name}\",")), log);
        string socket = $"/var/run/wireguard/{name}.sock";
        try
        {
            Assert.Equal(socket, node.Tunnel.UapiPath);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(socket));
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");

            // wg show NAME: the interface, the peer, its endpoint, allowed IPs, handshake and transfer.
            string show = Wg("show", name);
            Assert.Contains($"interface: {name}", show, StringComparison.Ordinal);
            Assert.Contains($"public key: {keys.PublicKey}", show, StringComparison.Ordinal);
            Assert.Contains("private key: (hidden)", show, StringComparison.Ordinal);
            Assert.Contains($"listening port: {RouterHostPort}", show, StringComparison.Ordinal);
            Assert.Contains($"peer: {peer.PublicKey}", show, StringComparison.Ordinal);
            Assert.Contains("preshared key: (hidden)", show, StringComparison.Ordinal);
            Assert.Contains($"endpoint: {endpoint}", show, StringComparison.Ordinal);
            Assert.Contains("allowed ips: 10.88.0.2/32, fd88::2/128", show, StringComparison.Ordinal);
            Assert.Contains("latest handshake: ", show, StringComparison.Ordinal);
            Assert.Contains("transfer: ", show, StringComparison.Ordinal);

            // wg show all dump: one line for the interface, one per peer, tab-separated, numbers exact.
            string[] dump = [.. Wg("show", "all", "dump").Split('\n').Where(l => l.StartsWith(name + "\t", StringComparison.Ordinal))];
            Assert.Equal(2, dump.Length);
            Assert.Equal($"{name}\t{keys.PrivateKey}\t{keys.PublicKey}\t{RouterHostPort}\toff", dump[0]);
            string[] fields = dump[1].Split('\t');
            Assert.Equal([name, peer.PublicKey, psk, endpoint, "10.88.0.2/32,fd88::2/128"], fields[..5]);
            long handshake = long.Parse(fields[5], CultureInfo.InvariantCulture);
            Assert.InRange(handshake, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
            Assert.Equal(Volatile.Read(ref node.Tunnel.Peers[0].LatestHandshakeUnixMs) / 1000, handshake);
            WireGuardCounters sum = node.Tunnel.Sum();
            Assert.InRange(long.Parse(fields[6], CultureInfo.InvariantCulture), 1, sum.RxBytes[0]);
            Assert.InRange(long.Parse(fields[7], CultureInfo.InvariantCulture), 1, sum.TxBytes[0]);
            Assert.Equal("off", fields[8]);

            // wg showconf NAME: the configuration wg-quick would keep.
            string conf = Wg("showconf", name);
            Assert.Contains($"[Interface]\nListenPort = {RouterHostPort}\nPrivateKey = {keys.PrivateKey}\n", conf, StringComparison.Ordinal);
            Assert.Contains($"[Peer]\nPublicKey = {peer.PublicKey}\nPresharedKey = {psk}\nAllowedIPs = 10.88.0.2/32, fd88::2/128\nEndpoint = {endpoint}\n", conf, StringComparison.Ordinal);

            // wg set: persistent keepalive and endpoint change the running stage.
            Wg("set", name, "peer", peer.PublicKey, "persistent-keepalive", "25");
            Assert.Equal(25_000, node.Tunnel.Peers[0].PersistentKeepaliveMs);
            Assert.Contains("persistent keepalive: every 25 seconds", Wg("show", name), StringComparison.Ordinal);
            string endpoint6 = Endpoint(sideA: false, ipv6: true, WireGuardGoPort);
            Wg("set", name, "peer", peer.PublicKey, "endpoint", endpoint6);
            Assert.Equal(endpoint6, node.Tunnel.Peers[0].Endpoint?.Remote.ToString());
            Assert.True(Ping(net.A, OverlayB6).Succeeded, $"{node.Describe()}\n{log.Text}");
            Wg("set", name, "peer", peer.PublicKey, "persistent-keepalive", "off", "endpoint", endpoint);
            Assert.Equal(0, node.Tunnel.Peers[0].PersistentKeepaliveMs);
            Assert.Equal(endpoint, node.Tunnel.Peers[0].Endpoint?.Remote.ToString());

            // wg syncconf with what showconf printed: nothing to change, accepted.
            string file = keys.WriteSecret("showconf.conf", conf);
            Wg("syncconf", name, file);
            Wg("setconf", name, file);
            Assert.Single(node.Tunnel.Peers);

            // What is not live yet is refused whole, with wireguard-go's errno, and nothing changes.
            string other = WireGuardKey.Format(RandomNumberGenerator.GetBytes(32));
            ExecResult add = WgResult("set", name, "peer", other, "allowed-ips", "10.99.0.0/24");
            Assert.False(add.Succeeded);
            Assert.Contains("Invalid argument", add.StdErr, StringComparison.Ordinal);
            Assert.True(log.Contains($"adding peer {other}"), log.Text);
            ExecResult port = WgResult("set", name, "listen-port", "51999");
            Assert.Contains("Address already in use", port.StdErr, StringComparison.Ordinal);
            ExecResult allowed = WgResult("set", name, "peer", peer.PublicKey, "allowed-ips", "10.88.0.2/32", "persistent-keepalive", "7");
            Assert.False(allowed.Succeeded);
            Assert.Equal(0, node.Tunnel.Peers[0].PersistentKeepaliveMs);
            Assert.Single(node.Tunnel.Peers);
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");
            Assert.Null(node.Fault);
        }
        finally
        {
            node.Dispose();
        }

        Assert.False(File.Exists(socket));
    }

    [Fact]
    public void A_stage_name_that_cannot_name_a_socket_stops_the_stage_with_the_key_to_set()
    {
        using NetworkNamespace ns = NetworkNamespace.Create("wgn");
        using var keys = new KeyPair();
        string json = RouterHostNode.Config(ns, ["10.88.0.1/24"], $$"""{ "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": 0, "Sockets": 1, "Namespace": "@NS", "Uapi": true }""")
            .Replace("\"Name\": \"wg\"", "\"Name\": \"wireguard-to-the-sites\"", StringComparison.Ordinal);
        Exception refused = Assert.ThrowsAny<Exception>(() => RouterHostNode.Start(json).Dispose());
        string message = refused.ToString();
        Assert.Contains("Pipeline:Stages:1:Settings:Uapi: the UAPI socket is named after the stage, and the stage's name 'wireguard-to-the-sites' cannot name one", message, StringComparison.Ordinal);
        Assert.Contains("set Pipeline:Stages:1:Settings:UapiName", message, StringComparison.Ordinal);
        Assert.False(File.Exists("/var/run/wireguard/wireguard-to-the-sites.sock"));
    }

    private static string Wg(params string[] args) => WgResult(args).EnsureSuccess().StdOut;

    private static ExecResult WgResult(params string[] args) => ChildProcess.Run("/usr/bin/wg", args);
}
