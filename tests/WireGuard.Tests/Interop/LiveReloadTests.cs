using System.Diagnostics;
using System.Net;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.SpokeNetwork;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// Live changes by reloading the configuration file, as an operator makes them: RouterHost in a hub namespace, started
/// from a file its own reloader watches, and wireguard-go spokes each in a namespace of its own. The spokes' kernels
/// judge what passes; wireguard-go's <c>wg show dump</c> and RouterHost's own counters say whether a session was
/// renegotiated.
/// <para>
/// The <c>wg set</c> variant makes the same changes through the stage's UAPI socket: it reaches the same
/// <see cref="WireGuardStage.ApplyPeers"/> path, and the same assertions apply.
/// </para>
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class LiveReloadTests
{
    private static readonly IPAddress A = IPAddress.Parse("10.88.0.2");
    private static readonly IPAddress BOld = IPAddress.Parse("10.88.0.3");
    private static readonly IPAddress BNew = IPAddress.Parse("10.88.0.4");
    private static readonly IPAddress C = IPAddress.Parse("10.88.0.5");

    [Fact]
    public void Peers_added_changed_and_removed_by_reload_under_a_200_MB_transfer_leave_its_session_alone()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wglv", spokes: 3);
        WireGuardGoPeer goA = hub.Spokes[0], goB = hub.Spokes[1], goC = hub.Spokes[2];
        ChangesUnderTransfer(
            hub,
            addBAndC: () => hub.Rewrite(1, hub.Peer("a", goA, "10.88.0.2/32"), hub.Peer("b", goB, "10.88.0.3/32"), hub.Peer("c", goC, "10.88.0.5/32")),
            removeCMoveB: () => hub.Rewrite(2, hub.Peer("a", goA, "10.88.0.2/32"), hub.Peer("b", goB, "10.88.0.4/32")));
        Assert.True(hub.Log.Contains("Configuration reload #2 applied: 2 stage(s) reconfigured"), hub.Log.Text);
    }

    /// <summary>
    /// The same changes by Debian's <c>wg set</c> against the stage's UAPI socket: the same path
    /// (<see cref="WireGuardStage.ApplyPeers"/>), the same outcome; B is the UAPI's peer, named after its key.
    /// </summary>
    [Fact]
    public void Peers_added_changed_and_removed_by_wg_set_under_a_200_MB_transfer_leave_its_session_alone()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wglu", spokes: 3);
        hub.UapiName = "rhl" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
        WireGuardGoPeer goA = hub.Spokes[0], goB = hub.Spokes[1], goC = hub.Spokes[2];
        ChangesUnderTransfer(
            hub,
            addBAndC: () => WgSet(hub.UapiName, "peer", goB.PublicKey, "allowed-ips", "10.88.0.3/32", "endpoint", $"192.168.78.2:{SpokePort}",
                "peer", goC.PublicKey, "allowed-ips", "10.88.0.5/32", "endpoint", $"192.168.79.2:{SpokePort}"),
            removeCMoveB: () => WgSet(hub.UapiName, "peer", goC.PublicKey, "remove", "peer", goB.PublicKey, "allowed-ips", "10.88.0.4/32"));
        WireGuardPeer b = hub.Node.Tunnel.Peers.Single(p => RouterHost.WireGuard.Keys.WireGuardKey.Format(p.Identity.PublicKey) == goB.PublicKey);
        Assert.StartsWith("uapi-", b.Name, StringComparison.Ordinal);
        Assert.Equal(PeerSource.Uapi, hub.Node.Tunnel.SourceOf(b));
        Assert.Equal(0, hub.Node.Reloader?.Applied ?? 0);
    }

    private static void WgSet(string name, params string[] args) =>
        ChildProcess.Run("/usr/bin/wg", ["set", name, .. args]).EnsureSuccess();

    private static void ChangesUnderTransfer(Hub hub, Action addBAndC, Action removeCMoveB)
    {
        WireGuardGoPeer goA = hub.Spokes[0], goB = hub.Spokes[1], goC = hub.Spokes[2];
        hub.Write(hub.Peer("a", goA, "10.88.0.2/32"));
        hub.StartNode();

        const long Bytes = 200L << 20;
        using var transfer = BulkTransfer.Start(hub.Net.A, goA.Namespace, A, 5001, Bytes, seed: 11);
        Assert.True(transfer.WaitForReceived(20L << 20, TimeSpan.FromMinutes(1)), hub.Describe());
        WireGuardPeer a = hub.Node.Tunnel.Peers.Single(p => p.Name == "a");
        long ourHandshake = Volatile.Read(ref a.LatestHandshakeUnixMs);
        long theirHandshake = goA.LatestHandshake(hub.Keys.PublicKey);
        Assert.NotEqual(0, ourHandshake);

        // B and C are added.
        addBAndC();
        Assert.True(PingUntil(hub.Net.A, BOld), hub.Describe());
        Assert.True(PingUntil(hub.Net.A, C), hub.Describe());
        Assert.True(PingUntil(goC.Namespace, IPAddress.Parse("10.88.0.1")), hub.Describe());

        // C leaves; B's allowed IPs move from .3 to .4.
        removeCMoveB();
        Assert.True(PingUntil(hub.Net.A, BNew), hub.Describe());
        Assert.False(TunnelNamespaces.Ping(hub.Net.A, BOld, count: 2).Succeeded, hub.Describe());
        long refusedBefore = hub.RefusedFromRemovedOrUnknown();
        ExecResult fromB = goB.Namespace.Exec(TimeSpan.FromSeconds(30), "ping", "-c", "2", "-i", "0.2", "-W", "2", "-I", BOld.ToString(), "10.88.0.1");
        Assert.False(fromB.Succeeded, $"B's old prefix still passes\n{hub.Describe()}");
        ExecResult fromC = TunnelNamespaces.Ping(goC.Namespace, IPAddress.Parse("10.88.0.1"), count: 2);
        Assert.False(fromC.Succeeded, $"the removed peer still passes\n{hub.Describe()}");
        Assert.True(Eventually(() => hub.RefusedFromRemovedOrUnknown() > refusedBefore), $"C's packets were not counted as refused\n{hub.Describe()}");
        Assert.True(hub.SourceRefused() > 0, $"B's packets from its old prefix were not counted as refused\n{hub.Describe()}");
        Assert.DoesNotContain(hub.Node.Tunnel.Peers, p => RouterHost.WireGuard.Keys.WireGuardKey.Format(p.Identity.PublicKey) == goC.PublicKey);

        // A's session was never renegotiated, and its stream arrives whole.
        Assert.Equal(ourHandshake, Volatile.Read(ref a.LatestHandshakeUnixMs));
        Assert.Equal(theirHandshake, goA.LatestHandshake(hub.Keys.PublicKey));
        Assert.Same(a, hub.Node.Tunnel.Peers.Single(p => p.Name == "a"));
        transfer.AssertCompletes(TimeSpan.FromMinutes(3), hub.Describe);
        Assert.Null(hub.Node.Fault);
    }

    [Fact]
    public void A_new_private_key_by_reload_renegotiates_and_traffic_resumes()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wglk", spokes: 1);
        WireGuardGoPeer goA = hub.Spokes[0];
        hub.Write(hub.Peer("a", goA, "10.88.0.2/32"));
        hub.StartNode();
        Assert.True(PingUntil(hub.Net.A, A), hub.Describe());

        // The peer learns our new key; then the file names the new key file.
        using var newKeys = new KeyPair();
        goA.Wg("set", goA.InterfaceName, "peer", hub.Keys.PublicKey, "remove");
        goA.SetPeer(newKeys.PublicKey, "10.88.0.0/24", endpoint: $"192.168.77.1:{HubPort}");
        hub.Keys = newKeys;
        hub.Rewrite(1, hub.Peer("a", goA, "10.88.0.2/32"));

        Assert.True(PingUntil(hub.Net.A, A), hub.Describe());
        Assert.True(PingUntil(goA.Namespace, IPAddress.Parse("10.88.0.1")), hub.Describe());
        Assert.NotEqual(0, goA.LatestHandshake(newKeys.PublicKey));
        Assert.Equal(newKeys.PublicKey, RouterHost.WireGuard.Keys.WireGuardKey.Format(hub.Node.Tunnel.Local.PublicKey));
        Assert.True(hub.Log.Contains("the private key changed"), hub.Log.Text);
        Assert.Null(hub.Node.Fault);
    }

    [Fact]
    public void A_reload_that_changes_only_what_needs_a_restart_says_so_per_key_path_and_traffic_goes_on()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wglr", spokes: 1);
        WireGuardGoPeer goA = hub.Spokes[0];
        hub.Write(hub.Peer("a", goA, "10.88.0.2/32"));
        hub.StartNode();
        Assert.True(PingUntil(hub.Net.A, A), hub.Describe());

        hub.Rewrite(1, mtu: 1380, batchSize: 32, peers: [hub.Peer("a", goA, "10.88.0.2/32")]);

        Assert.True(hub.Log.Contains("Configuration reload: Pipeline:Stages:1:Settings:Mtu: changed, not applied (needs restart)"), hub.Log.Text);
        Assert.True(hub.Log.Contains("Configuration reload: Pipeline:BatchSize: changed, not applied (needs restart)"), hub.Log.Text);
        Assert.True(hub.Log.Contains("Configuration reload #1 applied in part: 2 stage(s) reconfigured; 2 changed key(s) not applied"), hub.Log.Text);
        Assert.False(hub.Log.Contains("Configuration reload #1 applied: "), hub.Log.Text);
        Assert.Equal(1420, hub.Node.Tunnel.Mtu);
        Assert.Equal(["Pipeline:Stages:1:Settings:Mtu"], hub.Node.Tunnel.RestartPending);
        Assert.True(PingUntil(hub.Net.A, A), hub.Describe());
        Assert.Null(hub.Node.Fault);
    }

    [Fact]
    public void A_new_listen_port_by_reload_rebinds_the_sockets_and_traffic_resumes_on_it()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wglp", spokes: 1);
        WireGuardGoPeer goA = hub.Spokes[0];
        hub.Write(hub.Peer("a", goA, "10.88.0.2/32"));
        hub.StartNode();
        Assert.True(PingUntil(hub.Net.A, A), hub.Describe());
        WireGuardPeer a = hub.Node.Tunnel.Peers.Single();
        long handshake = Volatile.Read(ref a.LatestHandshakeUnixMs);

        hub.Rewrite(1, 1420, 64, [hub.Peer("a", goA, "10.88.0.2/32")], port: HubPort + 2);

        Assert.Equal(HubPort + 2, hub.Node.Tunnel.ListenPort);
        Assert.True(hub.Log.Contains($"now listening on port {HubPort + 2}"), hub.Log.Text);
        Assert.True(PingUntil(hub.Net.A, A), hub.Describe());
        Assert.True(PingUntil(goA.Namespace, IPAddress.Parse("10.88.0.1")), hub.Describe());
        Assert.Contains($"192.168.77.1:{HubPort + 2}", goA.Wg("show", goA.InterfaceName, "endpoints"), StringComparison.Ordinal);

        // As wireguard-go: the sockets moved, the session stayed.
        Assert.Equal(handshake, Volatile.Read(ref a.LatestHandshakeUnixMs));
        Assert.Empty(hub.Node.Tunnel.RestartPending);
        Assert.True(hub.Log.Contains("Configuration reload #1 applied: 2 stage(s) reconfigured"), hub.Log.Text);
        Assert.Null(hub.Node.Fault);
    }

    private static bool PingUntil(NetworkNamespace from, IPAddress target) =>
        Eventually(() => TunnelNamespaces.Ping(from, target, count: 1).Succeeded, TimeSpan.FromSeconds(30));

    private static bool Eventually(Func<bool> condition, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(15)))
        {
            if (condition())
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return condition();
    }

    /// <summary>
    /// The hub's namespace (RouterHost, its TUN "tun" at 10.88.0.1/24), spoke 0 on the pair's other side
    /// (192.168.77.0/24) and each further spoke i in a namespace of its own on 192.168.(77+i).0/24. Spoke i's overlay
    /// address is 10.88.0.(2+i) (spoke 1 also has 10.88.0.4, the prefix it moves to; spoke 2 is 10.88.0.5).
    /// </summary>
    private sealed class Hub : IDisposable
    {
        private readonly SpokeNetwork _network;
        private readonly string _directory;

        private Hub(SpokeNetwork network)
        {
            _network = network;
            Keys = network.Keys;
            _directory = Directory.CreateTempSubdirectory("rh-live-").FullName;
            File = Path.Combine(_directory, "router.json");
        }

        public NamespacePair Net => _network.Net;

        public KeyPair Keys { get; set; }

        /// <summary>When set, the stage serves its UAPI socket under this name.</summary>
        public string? UapiName { get; set; }

        public List<WireGuardGoPeer> Spokes => _network.Spokes;

        public string File { get; }

        public RouterHostNode Node { get; private set; } = null!;

        public CapturedLog Log { get; } = new();

        public static Hub Start(string prefix, int spokes)
        {
            string[][] overlays = [["10.88.0.2/24"], ["10.88.0.3/24", "10.88.0.4/24"], ["10.88.0.5/24"]];
            return new Hub(SpokeNetwork.Start(prefix, overlays[..spokes], SpokePort, _ => HubPort));
        }

        public string Peer(string name, WireGuardGoPeer spoke, string allowed)
        {
            int i = Spokes.IndexOf(spoke);
            return $$"""
                "{{name}}": { "PublicKey": "{{spoke.PublicKey}}", "Endpoint": "{{SpokeNetwork.SpokeUnderlay(i)}}:{{SpokePort}}", "AllowedIPs": [ "{{allowed}}" ] }
                """;
        }

        public void Write(params string[] peers) => Write(1420, 64, peers);

        public void StartNode()
        {
            Node = _network.Own(RouterHostNode.StartFromFile(File, Log));
        }

        /// <summary>Saves the file with new peers (as an editor does) and waits for reload number <paramref name="generation"/>.</summary>
        public void Rewrite(int generation, params string[] peers) => Rewrite(generation, 1420, 64, peers);

        public void Rewrite(int generation, int mtu, int batchSize, string[] peers, int port = HubPort)
        {
            Write(mtu, batchSize, peers, port);
            Assert.True(Eventually(() => Node.Reloader!.Applied + Node.Reloader.Refused >= generation), $"reload #{generation} did not happen\n{Log.Text}");
            Assert.Equal(0, Node.Reloader!.Refused);
        }

        /// <summary>Transport messages refused as a removed peer's or for an unknown session, and handshakes of unknown peers.</summary>
        public long RefusedFromRemovedOrUnknown()
        {
            long total = 0;
            foreach (var stage in Node.Runner.Metrics.SnapshotStages())
            {
                total += stage.Dropped.GetValueOrDefault("wireguard.removed_peer") + stage.Dropped.GetValueOrDefault("wireguard.unknown_receiver");
            }

            WireGuardCounters sum = Node.Tunnel.Sum();
            return total + sum.HandshakeDrops[WireGuardDropReasons.UnknownPeer.Id] + sum.Drops[WireGuardDropReasons.RemovedPeer.Id];
        }

        /// <summary>Packets a peer sent from outside its allowed IPs (the cryptokey check).</summary>
        public long SourceRefused()
        {
            long total = 0;
            foreach (var stage in Node.Runner.Metrics.SnapshotStages())
            {
                foreach (var (reason, count) in stage.Dropped)
                {
                    if (reason.StartsWith("routing.", StringComparison.Ordinal) && reason.Contains("source", StringComparison.Ordinal))
                    {
                        total += count;
                    }
                }
            }

            return total;
        }

        public string Describe() => $"--- hub:\n{Node?.Describe()}\n{Log.Text}\n{string.Join("\n", Spokes.Select((s, i) => $"--- spoke {i}:\n{s.Log}"))}";

        public void Dispose()
        {
            _network.Dispose();
            Directory.Delete(_directory, recursive: true);
        }

        private void Write(int mtu, int batchSize, string[] peers, int port = HubPort)
        {
            string ns = Net.A.Name;
            string uapi = UapiName is null ? string.Empty : $" \"Uapi\": true, \"UapiName\": \"{UapiName}\",";
            string json = $$"""
                {
                  "Pipeline": { "BatchSize": {{batchSize}}, "Stages": [
                    { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "10.88.0.1/32", "Interface": "tun" } ] } },
                    { "Type": "WireGuard", "Name": "wg", "Settings": {
                        "PrivateKeyFile": "{{Keys.PrivateKeyFile}}", "ListenPort": {{port}}, "ListenAddresses": [ "0.0.0.0" ], "Sockets": 1, "Namespace": "{{ns}}", "Mtu": {{mtu}},{{uapi}}
                        "Peers": { {{string.Join(", ", peers)}} } } } ] },
                  "Interfaces": {
                    "tun": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{ns}}", "DeviceName": "rhwg0", "Mtu": 1420, "Queues": 2, "Addresses": [ "10.88.0.1/24" ] } }
                  }
                }
                """;

            System.IO.File.WriteAllText(File, json);
        }
    }
}
