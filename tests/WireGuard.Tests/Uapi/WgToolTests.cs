using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
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
[NeedsRoot]
public sealed class WgToolTests
{
    private const int RouterHostPort = 51820;
    private const int WireGuardGoPort = 51830;

    [Fact]
    public void Wg_shows_and_sets_a_running_RouterHost_tunnel()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        string name = "rhu" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        using GoPeerTunnel tunnel = GoPeerTunnel.Start("wgu");
        var (net, keys, peer, log) = tunnel;
        string psk = KeyPair.NewPresharedKey();
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", presharedKey: psk);
        string endpoint = Endpoint(sideA: false, ipv6: false, WireGuardGoPort);
        RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], GoPeerTunnel.PeerSettings(keys, peer, endpoint, psk, $"\"Uapi\": true, \"UapiName\": \"{name}\",")), log);
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
            WireGuardPeer running = node.Tunnel.Peers[0];

            // wg set peer … allowed-ips: the peer's whole list, live (the routes follow); the session stays.
            Wg("set", name, "peer", peer.PublicKey, "allowed-ips", "10.88.0.2/32,fd88::2/128,10.77.0.0/24");
            Assert.Equal(["10.88.0.2/32", "fd88::2/128", "10.77.0.0/24"], running.Configuration.AllowedIPs);
            Assert.Contains("allowed ips: 10.88.0.2/32, fd88::2/128, 10.77.0.0/24", Wg("show", name), StringComparison.Ordinal);
            Assert.Same(running, node.Tunnel.Peers[0]);
            Assert.Equal(PeerSource.ConfigChangedByUapi, node.Tunnel.SourceOf(running));
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");

            // wg set peer … preshared-key: both sides take the new key; traffic goes on.
            string psk2 = KeyPair.NewPresharedKey();
            string pskFile = keys.WriteSecret("psk2", psk2);
            Wg("set", name, "peer", peer.PublicKey, "preshared-key", pskFile);
            peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", presharedKey: psk2);
            Assert.Contains($"\t{psk2}\t", Wg("show", name, "dump"), StringComparison.Ordinal);
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");

            // wg set peer NEW …: a peer added live, named after its key, shown as the UAPI's; then removed.
            using var added = new KeyPair();
            Wg("set", name, "peer", added.PublicKey, "allowed-ips", "10.99.0.0/24", "endpoint", "192.0.2.9:51820", "persistent-keepalive", "0");
            WireGuardPeer fresh = node.Tunnel.Peers.Single(p => WireGuardKey.Format(p.Identity.PublicKey) == added.PublicKey);
            Assert.Equal(UapiApplyTests.UapiName(added), fresh.Name);
            Assert.Equal(PeerSource.Uapi, node.Tunnel.SourceOf(fresh));
            Assert.Contains($"peer: {added.PublicKey}", Wg("show", name), StringComparison.Ordinal);
            Wg("set", name, "peer", added.PublicKey, "remove");
            Assert.Single(node.Tunnel.Peers);
            Assert.True(fresh.IsRemoved);

            // wg set fwmark: the live sockets are marked; off takes the mark away.
            Wg("set", name, "fwmark", "0x1234");
            Assert.Equal(0x1234u, node.Tunnel.FirewallMark);
            Assert.Equal("0x1234", Wg("show", name, "fwmark").Trim());
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");
            Wg("set", name, "fwmark", "off");
            Assert.Equal(0u, node.Tunnel.FirewallMark);

            // wg set listen-port: a port another socket holds is refused as wireguard-go refuses it; a free one rebinds.
            using (Socket holder = net.A.Run(() =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(IPAddress.Any, 0));
                return socket;
            }))
            {
                int held = ((IPEndPoint)holder.LocalEndPoint!).Port;
                ExecResult busy = WgResult("set", name, "listen-port", held.ToString(CultureInfo.InvariantCulture));
                Assert.False(busy.Succeeded);
                Assert.Contains("Address already in use", busy.StdErr, StringComparison.Ordinal);
                Assert.Equal(RouterHostPort, node.Tunnel.ListenPort);
            }

            Wg("set", name, "listen-port", (RouterHostPort + 1).ToString(CultureInfo.InvariantCulture));
            Assert.Equal(RouterHostPort + 1, node.Tunnel.ListenPort);
            Assert.Equal((RouterHostPort + 1).ToString(CultureInfo.InvariantCulture), Wg("show", name, "listen-port").Trim());
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");

            // wg syncconf round trip: showconf, edit (a new peer, other allowed IPs), syncconf: the running state is the file.
            using var third = new KeyPair();
            string edited = Wg("showconf", name).Replace("AllowedIPs = 10.88.0.2/32, fd88::2/128, 10.77.0.0/24", "AllowedIPs = 10.88.0.2/32, fd88::2/128", StringComparison.Ordinal)
                + $"\n[Peer]\nPublicKey = {third.PublicKey}\nAllowedIPs = 10.66.0.0/24\n";
            string editedFile = keys.WriteSecret("edited.conf", edited);
            Wg("syncconf", name, editedFile);
            Assert.Equal(Normalise(edited), Normalise(Wg("showconf", name)));
            Assert.Equal(2, node.Tunnel.Peers.Count);
            Assert.Same(running, node.Tunnel.Peers[0]);
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");

            // wg setconf with the first showconf: everything back as it was, the added peer gone. The port left above is
            // held by the old sockets for the 10 s packets in flight get (EADDRINUSE, nothing changed), then taken back.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!WgResult("setconf", name, file).Succeeded && clock.Elapsed < TimeSpan.FromSeconds(30))
            {
                Assert.Equal(2, node.Tunnel.Peers.Count);
                Thread.Sleep(500);
            }

            Assert.Single(node.Tunnel.Peers);
            Assert.Equal(RouterHostPort, node.Tunnel.ListenPort);
            Assert.Equal(Normalise(conf), Normalise(Wg("showconf", name)));
            peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128", presharedKey: psk);
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");

            // wg set private-key: a new key renegotiates; back to the old one, the peer (which knows only it) answers again.
            using var newKey = new KeyPair();
            Wg("set", name, "private-key", newKey.PrivateKeyFile);
            Assert.Equal(newKey.PublicKey, Wg("show", name, "public-key").Trim());
            Wg("set", name, "private-key", keys.PrivateKeyFile);
            Assert.Equal(keys.PublicKey, WireGuardKey.Format(node.Tunnel.Local.PublicKey));
            Assert.True(Ping(net.A, OverlayB4).Succeeded, $"{node.Describe()}\n{log.Text}");

            // A request that cannot be done is refused whole with wireguard-go's errno, and nothing changes.
            ExecResult zeroKey = WgResult("set", name, "peer", new string('A', 43) + "=", "allowed-ips", "10.55.0.0/24");
            Assert.False(zeroKey.Succeeded);
            Assert.Contains("Invalid argument", zeroKey.StdErr, StringComparison.Ordinal);
            Assert.Single(node.Tunnel.Peers);
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

    /// <summary>A wg-quick file's lines, sorted, without blanks (section order and spacing aside).</summary>
    private static string Normalise(string conf) =>
        string.Join("\n", conf.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Order(StringComparer.Ordinal));

    private static string Wg(params string[] args) => WgResult(args).EnsureSuccess().StdOut;

    private static ExecResult WgResult(params string[] args) => ChildProcess.Run("/usr/bin/wg", args);
}
