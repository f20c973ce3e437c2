using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using RouterHost.Cli;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// A real <c>routerhost run</c> (Firewall, Routing, WireGuard against wireguard-go, LinuxTun) with its Prometheus
/// endpoint on: scraped during a transfer, every value that <c>routerhost show --json</c> also carries lies between the
/// document read just before and the one read just after the scrape; <c>promtool check metrics</c> accepts the
/// exposition; and the status document has exactly the fields docs/status.md lists, with their types.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed partial class MetricsInteropTests
{
    private const int WireGuardGoPort = 51830;

    [Fact]
    public async Task Metrics_scraped_during_a_transfer_agree_with_show_json_and_promtool_accepts_them()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        Assert.SkipUnless(File.Exists("/usr/bin/promtool"), "promtool is not installed (apt-get install prometheus; scripts/test installs it)");
        using NamespacePair net = TunnelNamespaces.Create("wgmet");
        using var keys = new KeyPair();
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, WireGuardGoPort, ["10.88.0.2/24", "fd88::2/64"]);
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128");
        string directory = Directory.CreateTempSubdirectory("rh-metrics-").FullName;
        try
        {
            string socket = Path.Combine(directory, "control.sock");
            int port = FreeLoopbackPort();
            string config = Path.Combine(directory, "router.json");
            File.WriteAllText(config, Config(net, keys, peer, socket, port));
            using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);
            Assert.True(router.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), router.Output);
            Assert.Contains($"Metrics: serving Prometheus at http://127.0.0.1:{port}/metrics", router.Output, StringComparison.Ordinal);
            Assert.True(Ping(net.A, OverlayB4).Succeeded, router.Output);

            using var transfer = BulkTransfer.Start(net.B, net.A, OverlayA4, 5031, 64L << 20, seed: 31);
            Assert.True(transfer.WaitForReceived(4L << 20, TimeSpan.FromMinutes(1)), router.Output);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            string url = $"http://127.0.0.1:{port}/metrics";
            string exposition = string.Empty;
            for (int round = 0; round < 3; round++)
            {
                using JsonDocument before = Show(socket);
                exposition = await http.GetStringAsync(new Uri(url), TestContext.Current.CancellationToken);
                using JsonDocument after = Show(socket);
                AssertAgree(Parse(exposition), before.RootElement, after.RootElement, exposition);
            }

            transfer.AssertCompletes(TimeSpan.FromMinutes(2), () => router.Output);

            // Clients that connect and never finish their request, send garbage, or send an endless header do not stop
            // the next scrape, nor the router.
            var hostile = new List<TcpClient>();
            try
            {
                for (int i = 0; i < 32; i++)
                {
                    var idle = new TcpClient();
                    hostile.Add(idle);
                    idle.Connect(IPAddress.Loopback, port);
                    idle.GetStream().Write("GET /metr"u8);
                }

                var garbage = new TcpClient();
                hostile.Add(garbage);
                garbage.Connect(IPAddress.Loopback, port);
                garbage.GetStream().Write("\u0000\u0001 garbage \r\n\r\nGET /../../etc/passwd HTTP/9.9\r\n\r\n"u8);

                var endless = new TcpClient();
                hostile.Add(endless);
                endless.Connect(IPAddress.Loopback, port);
                endless.SendTimeout = 2000;
                try
                {
                    endless.GetStream().Write("GET /metrics HTTP/1.1\r\nX-Long: "u8);
                    byte[] chunk = new byte[64 * 1024];
                    Array.Fill(chunk, (byte)'a');
                    for (int i = 0; i < 64; i++)
                    {
                        endless.GetStream().Write(chunk);
                    }
                }
                catch (IOException)
                {
                    // The server stopped reading or closed it: either is fine.
                }

                Assert.Contains("wireguard_peer_receive_bytes_total", await http.GetStringAsync(new Uri(url), TestContext.Current.CancellationToken), StringComparison.Ordinal);
                Assert.False(router.HasExited, router.Output);
            }
            finally
            {
                foreach (TcpClient client in hostile)
                {
                    client.Dispose();
                }
            }

            Assert.Contains("wireguard_peer_receive_bytes_total", await http.GetStringAsync(new Uri(url), TestContext.Current.CancellationToken), StringComparison.Ordinal);

            ExecResult promtool = ChildProcess.Run("/usr/bin/promtool", ["check", "metrics"], exposition);
            Assert.True(promtool.Succeeded, $"promtool: {promtool.StdOut}{promtool.StdErr}\n{exposition}");

            using JsonDocument final = Show(socket);
            AssertMatchesDocumentedSchema(final.RootElement);

            // A second router on the same metrics address is refused at startup naming the key path and the address.
            string second = Path.Combine(directory, "second.json");
            File.WriteAllText(second, $$"""
                { "Plugins": { "Path": "{{RepositoryPaths.HostPlugins}}" }, "Control": { "Socket": "off" },
                  "Metrics": { "Prometheus": "127.0.0.1:{{port}}" },
                  "Pipeline": { "Stages": [ { "Type": "Routing" } ] }, "Interfaces": {} }
                """);
            (int exit, string output) = RouterHostProcess.Run("run", "--config", second);
            Assert.NotEqual(0, exit);
            Assert.Contains($"Metrics:Prometheus: cannot serve metrics on 127.0.0.1:{port}: ", output, StringComparison.Ordinal);
            Assert.Contains("AddressAlreadyInUse", output, StringComparison.Ordinal);

            router.Terminate();
            Assert.True(router.WaitForExit(TimeSpan.FromSeconds(10)), router.Output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Config(NamespacePair net, KeyPair keys, WireGuardGoPeer peer, string socket, int port)
    {
        string settings = GoPeerTunnel.PeerSettings(keys, peer, Endpoint(sideA: false, ipv6: false, WireGuardGoPort), psk: null);
        return RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"], settings)
            .Replace("\"rhwg0\"", "\"rhmet0\"", StringComparison.Ordinal)
            .Replace("{ \"Type\": \"Routing\"", "{ \"Type\": \"Firewall\", \"Settings\": { \"DefaultPolicy\": { \"Inbound\": \"accept\" } } },\n    { \"Type\": \"Routing\"", StringComparison.Ordinal)
            .Replace("\"Pipeline\": {", $"\"Plugins\": {{ \"Path\": \"{RepositoryPaths.HostPlugins}\" }},\n  \"Control\": {{ \"Socket\": \"{socket}\" }},\n  \"Metrics\": {{ \"Prometheus\": \"127.0.0.1:{port}\" }},\n  \"Pipeline\": {{", StringComparison.Ordinal);
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static JsonDocument Show(string socket) => JsonDocument.Parse(ShowCommand.Ask(socket, "show"));

    /// <summary>One sample of the exposition: metric name, labels, value.</summary>
    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""(?<key>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(\\.|[^"\\])*)",?""")]
    private static partial Regex LabelPair();

    /// <summary>The Prometheus text format's samples (test code: the exposition is the library's, read back to compare).</summary>
    private static List<Sample> Parse(string exposition)
    {
        var samples = new List<Sample>();
        foreach (string line in exposition.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            Match match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match pair in LabelPair().Matches(match.Groups["labels"].Value))
            {
                labels[pair.Groups["key"].Value] = pair.Groups["value"].Value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
            }

            samples.Add(new Sample(match.Groups["name"].Value, labels, double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include all of <paramref name="labels"/>.</summary>
    private static double Sum(List<Sample> samples, string name, params (string Key, string Value)[] labels)
    {
        double total = 0;
        foreach (Sample sample in samples)
        {
            if (sample.Name == name && labels.All(l => sample.Labels.TryGetValue(l.Key, out string? v) && v == l.Value))
            {
                total += sample.Value;
            }
        }

        return total;
    }

    private static void Between(double value, long before, long after, string what, string exposition)
    {
        Assert.True(before <= value && value <= after, $"{what}: scraped {value}, show said {before} before and {after} after\n{exposition}");
    }

    private static void AssertAgree(List<Sample> samples, JsonElement before, JsonElement after, string exposition)
    {
        // Interfaces: traffic and drops, summed over queues.
        JsonElement[] interfacesAfter = [.. after.GetProperty("interfaces").EnumerateArray()];
        foreach (JsonElement b in before.GetProperty("interfaces").EnumerateArray())
        {
            string name = b.GetProperty("name").GetString()!;
            JsonElement a = interfacesAfter.Single(i => i.GetProperty("name").GetString() == name);
            (string, string) iface = ("interface", name);
            Between(Sum(samples, "routerhost_interface_received_packets_total", iface), b.GetProperty("rx_packets").GetInt64(), a.GetProperty("rx_packets").GetInt64(), $"{name} rx_packets", exposition);
            Between(Sum(samples, "routerhost_interface_received_bytes_total", iface), b.GetProperty("rx_bytes").GetInt64(), a.GetProperty("rx_bytes").GetInt64(), $"{name} rx_bytes", exposition);
            Between(Sum(samples, "routerhost_interface_sent_packets_total", iface), b.GetProperty("tx_packets").GetInt64(), a.GetProperty("tx_packets").GetInt64(), $"{name} tx_packets", exposition);
            Between(Sum(samples, "routerhost_interface_sent_bytes_total", iface), b.GetProperty("tx_bytes").GetInt64(), a.GetProperty("tx_bytes").GetInt64(), $"{name} tx_bytes", exposition);
            CompareCounts(samples, "routerhost_interface_dropped_packets_total", [iface, ("path", "receive")], b.GetProperty("rx_drops"), a.GetProperty("rx_drops"), $"{name} rx_drops", exposition);
            CompareCounts(samples, "routerhost_interface_dropped_packets_total", [iface, ("path", "send")], b.GetProperty("tx_drops"), a.GetProperty("tx_drops"), $"{name} tx_drops", exposition);
        }

        // Stages: packets by outcome, bytes, drops and rejects by reason.
        JsonElement[] stagesAfter = [.. after.GetProperty("stages").EnumerateArray()];
        foreach (JsonElement b in before.GetProperty("stages").EnumerateArray())
        {
            string name = b.GetProperty("name").GetString()!;
            JsonElement a = stagesAfter.Single(s => s.GetProperty("name").GetString() == name);
            (string, string) stage = ("stage", name);
            foreach (string outcome in (string[])["in", "forwarded", "consumed", "emitted"])
            {
                Between(Sum(samples, "routerhost_stage_packets_total", stage, ("outcome", outcome)), b.GetProperty(outcome).GetInt64(), a.GetProperty(outcome).GetInt64(), $"{name} {outcome}", exposition);
            }

            Between(Sum(samples, "routerhost_stage_forwarded_bytes_total", stage), b.GetProperty("forwarded_bytes").GetInt64(), a.GetProperty("forwarded_bytes").GetInt64(), $"{name} forwarded_bytes", exposition);
            CompareCounts(samples, "routerhost_stage_dropped_packets_total", [stage, ("verdict", "dropped")], b.GetProperty("dropped"), a.GetProperty("dropped"), $"{name} dropped", exposition);
            CompareCounts(samples, "routerhost_stage_dropped_packets_total", [stage, ("verdict", "rejected")], b.GetProperty("rejected"), a.GetProperty("rejected"), $"{name} rejected", exposition);

            JsonElement bs = b.GetProperty("status"), st = a.GetProperty("status");
            switch (b.GetProperty("type").GetString())
            {
                case "WireGuard":
                    AssertWireGuardAgrees(samples, name, bs, st, exposition);
                    break;
                case "Firewall":
                    long lo = Math.Min(bs.GetProperty("connections").GetInt64(), st.GetProperty("connections").GetInt64());
                    long hi = Math.Max(bs.GetProperty("connections").GetInt64(), st.GetProperty("connections").GetInt64());
                    Between(Sum(samples, "routerhost_firewall_conntrack_entries", stage), lo, hi, "conntrack entries", exposition);
                    foreach ((string metric, string field) in (ReadOnlySpan<(string, string)>)[("insert", "inserted"), ("expiration", "expired"), ("eviction", "evicted"), ("removal", "removed_by_reload"), ("insert_failure", "refused_full")])
                    {
                        Between(Sum(samples, "routerhost_firewall_conntrack_events_total", stage, ("event", metric)), bs.GetProperty("connection_events").GetProperty(field).GetInt64(), st.GetProperty("connection_events").GetProperty(field).GetInt64(), $"conntrack {field}", exposition);
                    }

                    Between(Sum(samples, "routerhost_firewall_conntrack_events_total", stage, ("event", "hit")), bs.GetProperty("connection_lookups").GetProperty("hits").GetInt64(), st.GetProperty("connection_lookups").GetProperty("hits").GetInt64(), "conntrack hits", exposition);
                    Between(Sum(samples, "routerhost_firewall_conntrack_events_total", stage, ("event", "miss")), bs.GetProperty("connection_lookups").GetProperty("misses").GetInt64(), st.GetProperty("connection_lookups").GetProperty("misses").GetInt64(), "conntrack misses", exposition);
                    break;
                case "Routing":
                    foreach (JsonProperty outcome in bs.GetProperty("icmp_errors").EnumerateObject())
                    {
                        Between(Sum(samples, "routerhost_routing_icmp_errors_total", stage, ("outcome", outcome.Name)), outcome.Value.GetInt64(), st.GetProperty("icmp_errors").GetProperty(outcome.Name).GetInt64(), $"icmp {outcome.Name}", exposition);
                    }

                    Between(Sum(samples, "routerhost_routing_icmp_errors_total", stage, ("outcome", "echo_reply_sent")), bs.GetProperty("echo_replies_sent").GetInt64(), st.GetProperty("echo_replies_sent").GetInt64(), "echo replies", exposition);
                    Between(Sum(samples, "routerhost_routing_icmp_errors_total", stage, ("outcome", "fragmented")), bs.GetProperty("fragmentation").GetProperty("packets_fragmented").GetInt64(), st.GetProperty("fragmentation").GetProperty("packets_fragmented").GetInt64(), "fragmented", exposition);
                    break;
            }
        }
    }

    private static void AssertWireGuardAgrees(List<Sample> samples, string name, JsonElement b, JsonElement a, string exposition)
    {
        Assert.Equal(1, Sum(samples, "wireguard_device_info", ("device", name), ("public_key", b.GetProperty("public_key").GetString()!)));
        JsonElement[] peersAfter = [.. a.GetProperty("peers").EnumerateArray()];
        foreach (JsonElement pb in b.GetProperty("peers").EnumerateArray())
        {
            string key = pb.GetProperty("public_key").GetString()!;
            JsonElement pa = peersAfter.Single(p => p.GetProperty("public_key").GetString() == key);
            (string, string) device = ("device", name), publicKey = ("public_key", key);
            Between(Sum(samples, "wireguard_peer_receive_bytes_total", device, publicKey), pb.GetProperty("rx_bytes").GetInt64(), pa.GetProperty("rx_bytes").GetInt64(), "peer rx_bytes", exposition);
            Between(Sum(samples, "wireguard_peer_transmit_bytes_total", device, publicKey), pb.GetProperty("tx_bytes").GetInt64(), pa.GetProperty("tx_bytes").GetInt64(), "peer tx_bytes", exposition);
            Between(Sum(samples, "routerhost_wireguard_peer_received_bytes_total", ("stage", name), ("peer", pb.GetProperty("name").GetString()!)), pb.GetProperty("rx_bytes").GetInt64(), pa.GetProperty("rx_bytes").GetInt64(), "routerhost peer rx_bytes", exposition);
            Between(Sum(samples, "wireguard_peer_last_handshake_seconds", device, publicKey), pb.GetProperty("latest_handshake_unix").GetInt64(), pa.GetProperty("latest_handshake_unix").GetInt64(), "last handshake", exposition);
            Assert.Equal(1, Sum(samples, "wireguard_peer_info", device, publicKey, ("name", pb.GetProperty("name").GetString()!), ("endpoint", pb.GetProperty("endpoint").GetString() ?? string.Empty)));
            foreach (JsonElement prefix in pb.GetProperty("allowed_ips").EnumerateArray())
            {
                Assert.Equal(1, Sum(samples, "wireguard_peer_allowed_ips_info", device, publicKey, ("allowed_ips", prefix.GetString()!)));
            }

            Assert.True(pb.GetProperty("rx_bytes").GetInt64() > 0, "no bytes received from the peer during the transfer");
        }

        (string, string) stage = ("stage", name);
        foreach (JsonProperty kind in b.GetProperty("handshakes").EnumerateObject())
        {
            Between(Sum(samples, "routerhost_wireguard_handshakes_total", stage, ("kind", kind.Name)), kind.Value.GetInt64(), a.GetProperty("handshakes").GetProperty(kind.Name).GetInt64(), $"handshakes {kind.Name}", exposition);
        }

        Between(Sum(samples, "routerhost_wireguard_keepalives_total", stage, ("direction", "sent")), b.GetProperty("keepalives").GetProperty("sent").GetInt64(), a.GetProperty("keepalives").GetProperty("sent").GetInt64(), "keepalives sent", exposition);
        Between(Sum(samples, "routerhost_wireguard_keepalives_total", stage, ("direction", "received")), b.GetProperty("keepalives").GetProperty("received").GetInt64(), a.GetProperty("keepalives").GetProperty("received").GetInt64(), "keepalives received", exposition);
        Between(Sum(samples, "routerhost_wireguard_udp_datagrams_total", stage, ("direction", "sent")), b.GetProperty("udp").GetProperty("sent_datagrams").GetInt64(), a.GetProperty("udp").GetProperty("sent_datagrams").GetInt64(), "udp sent", exposition);
        Between(Sum(samples, "routerhost_wireguard_udp_datagrams_total", stage, ("direction", "received")), b.GetProperty("udp").GetProperty("received_datagrams").GetInt64(), a.GetProperty("udp").GetProperty("received_datagrams").GetInt64(), "udp received", exposition);
        CompareCounts(samples, "routerhost_wireguard_dropped_total", [stage], b.GetProperty("drops"), a.GetProperty("drops"), "wireguard drops", exposition);
    }

    /// <summary>Each reason of a counts object (before or after) against the samples labelled with it.</summary>
    private static void CompareCounts(List<Sample> samples, string metric, (string, string)[] labels, JsonElement before, JsonElement after, string what, string exposition)
    {
        var reasons = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty p in before.EnumerateObject().Concat(after.EnumerateObject()))
        {
            reasons.Add(p.Name);
        }

        foreach (Sample s in samples.Where(s => s.Name == metric && labels.All(l => s.Labels.TryGetValue(l.Item1, out string? v) && v == l.Item2)))
        {
            reasons.Add(s.Labels["reason"]);
        }

        foreach (string reason in reasons)
        {
            long b = before.TryGetProperty(reason, out JsonElement bv) ? bv.GetInt64() : 0;
            long a = after.TryGetProperty(reason, out JsonElement av) ? av.GetInt64() : 0;
            Between(Sum(samples, metric, [.. labels, ("reason", reason)]), b, a, $"{what} {reason}", exposition);
        }
    }
}
