using System.Net;
using System.Net.Sockets;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.SpokeNetwork;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// RouterHost as the hub of two wireguard-go spokes, each spoke in a network namespace of its own with its own veth
/// link to the hub's namespace. The spokes know only the hub (allowed IPs: the whole overlay); the hub's firewall
/// ([Firewall, Routing, WireGuard], its rules docs/configuration.md's example) lets the spokes' group talk to itself
/// except for telnet, which it rejects. The spokes' kernels judge what arrives: echo replies, a byte-exact stream, a
/// refused connection.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class HubAndSpokeTests
{
    private static readonly IPAddress Spoke1 = IPAddress.Parse("10.88.0.2");
    private static readonly IPAddress Spoke2 = IPAddress.Parse("10.88.0.3");

    /// <summary>
    /// The rules are docs/configuration.md's own ("Between peers", under "## Firewall stage settings"), as written: rules
    /// between two peer groups are inbound rules, since a spoke's packets arrive from the wire.
    /// </summary>
    private static readonly string Firewall = "{ " + Documentation.DocumentedConfiguration.Extract("configuration.md", "## Firewall stage settings") + " }";

    [Fact]
    public void Two_spokes_ping_each_other_and_carry_a_50_MB_stream_byte_exact_through_the_hub()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wghs");

        ExecResult ping = TunnelNamespaces.PingUntilAnswered(hub.Spoke1.Namespace, Spoke2);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{hub.Describe()}");
        ExecResult back = TunnelNamespaces.PingUntilAnswered(hub.Spoke2.Namespace, Spoke1);
        Assert.True(back.Succeeded, $"{back.StdOut}{back.StdErr}\n{hub.Describe()}");

        const long Bytes = 50L << 20;
        using (var transfer = BulkTransfer.Start(hub.Spoke1.Namespace, hub.Spoke2.Namespace, Spoke2, 5001, Bytes, seed: 7))
        {
            transfer.AssertCompletes(TimeSpan.FromMinutes(3), hub.Describe);
        }

        // Every packet between the spokes went in from one peer and out to the other: none was left unhandled.
        Assert.Empty(hub.PeerNotHandled());
        WireGuardCounters counters = hub.Node.Tunnel.Sum();
        Assert.True(counters.TxBytes[1] > Bytes, hub.Describe());
        Assert.True(counters.RxBytes[0] > Bytes, hub.Describe());
        Assert.Null(hub.Node.Fault);
    }

    [Fact]
    public void Spokes_on_two_tunnel_stages_of_one_hub_reach_each_other_through_the_other_stage()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wghx", separateTunnels: true);

        ExecResult ping = TunnelNamespaces.PingUntilAnswered(hub.Spoke1.Namespace, Spoke2);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{hub.Describe()}");
        ExecResult back = TunnelNamespaces.PingUntilAnswered(hub.Spoke2.Namespace, Spoke1);
        Assert.True(back.Succeeded, $"{back.StdOut}{back.StdErr}\n{hub.Describe()}");

        const long Bytes = 20L << 20;
        using (var transfer = BulkTransfer.Start(hub.Spoke2.Namespace, hub.Spoke1.Namespace, Spoke1, 5002, Bytes, seed: 8))
        {
            transfer.AssertCompletes(TimeSpan.FromMinutes(3), hub.Describe);
        }

        Assert.Empty(hub.PeerNotHandled());
        var wg1 = (WireGuardStage)hub.Node.Router.Stages.Single(s => s.Name == "wg1").Stage;
        Assert.True(wg1.Sum().TxBytes[0] > Bytes, hub.Describe());
        Assert.Null(hub.Node.Fault);
    }

    [Fact]
    public async Task A_rule_between_the_spokes_groups_refuses_telnet_with_a_RST_and_lets_ICMP_through()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using var hub = Hub.Start("wghr");

        // ICMP passes (and brings up both sessions).
        ExecResult ping = TunnelNamespaces.PingUntilAnswered(hub.Spoke1.Namespace, Spoke2);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{hub.Describe()}");

        // Something listens on spoke 2's port 23, so only the hub's reject can refuse the connection; a lost SYN
        // would end in the client's timeout (20 s here) instead.
        using Socket listener = hub.Spoke2.Namespace.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(Spoke2, 23));
            s.Listen(1);
            return s;
        });
        using Socket client = hub.Spoke1.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        SocketError outcome = SocketError.Success;
        try
        {
            await client.ConnectAsync(new IPEndPoint(Spoke2, 23), timeout.Token);
        }
        catch (SocketException ex)
        {
            outcome = ex.SocketErrorCode;
        }
        catch (OperationCanceledException)
        {
            outcome = SocketError.TimedOut;
        }

        Assert.True(outcome == SocketError.ConnectionRefused, $"connect to {Spoke2}:23 ended with {outcome}\n{hub.Describe()}");
        listener.Blocking = false;
        Assert.Throws<SocketException>(() => listener.Accept());
        StageStatistics firewall = hub.Node.Runner.Metrics.SnapshotStages().Single(s => s.Name == "Firewall");
        Assert.True(firewall.Rejected.GetValueOrDefault("firewall.rule_reject") >= 1, hub.Describe());

        // Another TCP port between the same spokes is accepted.
        using Socket open = hub.Spoke2.Namespace.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(Spoke2, 2323));
            s.Listen(1);
            return s;
        });
        using Socket other = hub.Spoke1.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var otherTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await other.ConnectAsync(new IPEndPoint(Spoke2, 2323), otherTimeout.Token);
        Assert.True(other.Connected);
        Assert.Empty(hub.PeerNotHandled());
    }

    /// <summary>The hub's namespace, joined to each spoke's by a veth pair; RouterHost in the hub; wireguard-go in each spoke.</summary>
    private sealed class Hub : IDisposable
    {
        private Hub(SpokeNetwork network) => Network = network;

        public SpokeNetwork Network { get; }

        public RouterHostNode Node { get; private set; } = null!;

        public WireGuardGoPeer Spoke1 => Network.Spokes[0];

        public WireGuardGoPeer Spoke2 => Network.Spokes[1];

        public CapturedLog Log { get; } = new();

        /// <summary>
        /// Starts the hub and both spokes. With <paramref name="separateTunnels"/> each spoke has a WireGuard stage of
        /// its own on the hub (wg1 on port 51820, wg2 on 51821), so a packet between them leaves through the other stage.
        /// </summary>
        public static Hub Start(string prefix, bool separateTunnels = false)
        {
            // Hub to spoke 1: 192.168.77.0/24; hub to spoke 2: 192.168.78.0/24.
            var hub = new Hub(SpokeNetwork.Start(prefix, [["10.88.0.2/24"], ["10.88.0.3/24"]], SpokePort, i => separateTunnels ? HubPort + i : HubPort, persistentKeepalive: 25));
            try
            {
                hub.Node = hub.Network.Own(RouterHostNode.Start(HubConfig(hub.Network.Hub, hub.Network.Keys, hub.Spoke1.PublicKey, hub.Spoke2.PublicKey, separateTunnels), hub.Log));
                return hub;
            }
            catch
            {
                hub.Dispose();
                throw;
            }
        }

        /// <summary>[Firewall, Routing, WireGuard] or [Firewall, Routing, WireGuard wg1, WireGuard wg2], the TUN "tun" in <paramref name="ns"/>.</summary>
        private static string HubConfig(NetworkNamespace ns, KeyPair keys, string spoke1, string spoke2, bool separateTunnels)
        {
            string Peer(string name, string key, string endpoint, string allowed) =>
                $$"""
                "{{name}}": { "PublicKey": "{{key}}", "Endpoint": "{{endpoint}}", "AllowedIPs": [ "{{allowed}}" ], "Groups": [ "spokes" ] }
                """;
            string Tunnel(string name, int port, string peers) =>
                $$"""
                { "Type": "WireGuard", "Name": "{{name}}", "Settings": {
                    "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": {{port}}, "ListenAddresses": [ "0.0.0.0" ], "Sockets": 1, "Namespace": "{{ns.Name}}",
                    "Peers": { {{peers}} } } }
                """;
            string first = Peer("spoke1", spoke1, $"192.168.77.2:{SpokePort}", "10.88.0.2/32");
            string second = Peer("spoke2", spoke2, $"192.168.78.2:{SpokePort}", "10.88.0.3/32");
            string tunnels = separateTunnels
                ? $"{Tunnel("wg1", HubPort, first)}, {Tunnel("wg2", HubPort + 1, second)}"
                : Tunnel("wg", HubPort, $"{first}, {second}");
            return $$"""
                {
                  "Pipeline": { "BatchSize": 64, "Stages": [
                    { "Type": "Firewall", "Settings": {{Firewall}} },
                    { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "10.88.0.1/32", "Interface": "tun" } ] } },
                    {{tunnels}} ] },
                  "Interfaces": {
                    "tun": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{ns.Name}}", "DeviceName": "rhwg0", "Mtu": 1420, "Queues": 2, "Addresses": [ "10.88.0.1/24" ] } }
                  }
                }
                """;
        }

        /// <summary>Each queue of the hub that counted peer_not_handled, with its count.</summary>
        public List<string> PeerNotHandled() =>
            [.. Node.Runner.Metrics.SnapshotQueues()
                .Where(q => q.ReceiveDrops.ContainsKey("peer_not_handled"))
                .Select(q => $"{q.Interface}/{q.Queue}: {q.ReceiveDrops["peer_not_handled"]}")];

        public string Describe() => $"--- hub:\n{Node?.Describe()}\n{Log.Text}\n--- spoke 1:\n{Spoke1.Log}\n--- spoke 2:\n{Spoke2.Log}";

        public void Dispose() => Network.Dispose();
    }
}
