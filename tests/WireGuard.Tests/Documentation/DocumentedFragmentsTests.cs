using System.Net;
using System.Text.RegularExpressions;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Documentation;

/// <summary>
/// The configuration fragments of the docs that are not whole files — docs/configuration.md's plugin pins, LinuxTun
/// interface, Routing stage and JSON log, docs/metrics.md's Prometheus endpoint — run as written, together, in one
/// router with traffic through it: a reader pastes them
/// into a file around a WireGuard peer (wireguard-go in namespace B at 198.51.100.7) and replaces only what is theirs
/// (the plugins folder, the pin's hash, which <c>routerhost plugins</c> prints). Each fragment then shows what its text
/// says: the pinned plugin from the configured folder carries the traffic, the TUN has two queues, its addresses and
/// its <c>Routes</c> lead into the router, the Routing stage answers an expired TTL from its <c>IcmpSource</c>, the
/// metrics are served where the fragment says, and every log line is a JSON object.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class DocumentedFragmentsTests
{
    private const string PluginsMarker = "Pinning plugins (`routerhost plugins` prints each folder's `sha256`):";

    [Fact]
    public void The_plugins_LinuxTun_and_Routing_fragments_run_as_written_with_traffic()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        string plugins = DocumentedConfiguration.Extract("configuration.md", PluginsMarker);
        string interfaces = DocumentedConfiguration.Extract("configuration.md", "## LinuxTun backend settings");
        string routing = DocumentedConfiguration.Extract("configuration.md", "## Routing stage settings");
        string metrics = DocumentedConfiguration.Extract("metrics.md", "## Turning it on");
        string log = DocumentedConfiguration.Extract("configuration.md", "## Logs");
        Assert.Contains("\"Path\": \"/opt/routerhost/plugins\"", plugins, StringComparison.Ordinal);
        Assert.Contains("\"Queues\": 2", interfaces, StringComparison.Ordinal);
        Assert.Contains("\"IcmpSource\": { \"IPv4\": \"10.1.0.254\"", routing, StringComparison.Ordinal);
        Assert.Equal("\"Metrics\": { \"Prometheus\": \"127.0.0.1:9586\" }", metrics);
        Assert.Equal("\"Log\": { \"Format\": \"json\" }", log);

        using DocumentedSite site = DocumentedSite.Create("frag", "198.51.100.1/24", "198.51.100.7/24");
        NamespacePair net = site.Net;
        string etc = site.Etc;

        // The operator's plugins folder: a copy of the package's LinuxTun (root's, as the test runs).
        string folder = Path.Combine(etc, "plugins");
        RepositoryPaths.CopyBuiltFolder(Path.Combine(RepositoryPaths.HostPlugins, "LinuxTun"), Path.Combine(folder, "LinuxTun"));
        plugins = plugins.Replace("/opt/routerhost/plugins", folder, StringComparison.Ordinal);

        using var keys = new KeyPair();
        DocumentedConfiguration.Write(etc, "wg0.key", keys.PrivateKey + "\n");
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, 51820, ["10.98.0.1/16"]);
        peer.SetPeer(keys.PublicKey, "10.99.0.0/24");
        net.B.Ip("route", "add", "10.99.0.0/24", "dev", peer.InterfaceName).EnsureSuccess();

        string json = $$"""
            {
              {{plugins}},
              {{interfaces}},
              {{metrics}},
              {{log}},
              "Pipeline": { "Stages": [
                {{routing}},
                { "Type": "WireGuard", "Name": "wg0", "Settings": { "PrivateKeyFile": "{{etc}}/wg0.key",
                  "Peers": { "b": { "PublicKey": "{{peer.PublicKey}}", "Endpoint": "198.51.100.7:51820", "AllowedIPs": [ "10.98.0.0/16" ] } } } } ] }
            }
            """;
        string config = DocumentedConfiguration.Write(etc, "routerhost.json", json);

        // As written, the pin is the documentation's: the folder is refused, saying which hash to pin.
        var (refusedExit, refused) = RouterHostProcess.Run("validate", "--config", config);
        Assert.Equal(1, refusedExit);
        Assert.Contains($"plugin folder '{folder}/LinuxTun' does not match its pin", refused, StringComparison.Ordinal);

        // `routerhost plugins` prints the folder's hash; pinned, the configured copy is the one loaded.
        var (listExit, list) = RouterHostProcess.Run("plugins", "--config", config);
        Assert.True(listExit == 0, list);
        json = json.Replace("7e8ffbfebaac747192904f7c4f4536bd9f41deaef72d6125d778e4300a5fac08", Sha256Of(list, Path.Combine(folder, "LinuxTun")), StringComparison.Ordinal);
        config = DocumentedConfiguration.Write(etc, "routerhost.json", json);
        DocumentedSite.AssertValid(config);

        using RouterHostProcess router = DocumentedConfiguration.Run(net.A, config, etc, out string socket);
        Assert.Contains($"{folder}/LinuxTun", router.Output, StringComparison.Ordinal);

        // The interface: its address is the host's side of the TUN, its Routes lead into the router.
        Assert.Contains("inet 10.99.0.1/24", net.A.Ip("addr", "show", "dev", "tun0").EnsureSuccess().StdOut, StringComparison.Ordinal);
        Assert.Contains("10.98.0.0/16", net.A.Ip("route", "show", "dev", "tun0").EnsureSuccess().StdOut, StringComparison.Ordinal);
        DocumentedSite.AssertPing(net.A, "10.98.0.1", router, peer);
        DocumentedSite.AssertPing(net.B, "10.99.0.1", router, peer);

        // Two queues.
        var (showExit, show) = RouterHostProcess.Run("show", "--socket", socket);
        Assert.True(showExit == 0, show);
        Assert.Contains("interface: tun0 (LinuxTun, 2 queue(s))", show, StringComparison.Ordinal);

        // The Routing fragment: a packet whose TTL runs out in the router is answered from IcmpSource.
        ExecResult expired = net.A.Exec(TimeSpan.FromSeconds(30), "ping", "-c", "1", "-t", "1", "-W", "5", "10.98.0.1");
        Assert.Contains("From 10.1.0.254", expired.StdOut, StringComparison.Ordinal);
        Assert.Contains("Time to live exceeded", expired.StdOut, StringComparison.Ordinal);

        // The metrics fragment serves Prometheus text on the router's loopback; the log fragment makes each line JSON.
        ExecResult scrape = net.A.Exec(TimeSpan.FromSeconds(30), "curl", "-sS", "--max-time", "10", "http://127.0.0.1:9586/metrics");
        Assert.True(scrape.Succeeded, scrape.StdErr);
        Assert.Contains("routerhost_", scrape.StdOut, StringComparison.Ordinal);
        Assert.Contains("wireguard", scrape.StdOut, StringComparison.OrdinalIgnoreCase);
        Assert.All(router.Lines, line => Assert.StartsWith("{\"Timestamp\":", line, StringComparison.Ordinal));

        DocumentedSite.AssertStops(router);
    }

    /// <summary>The sha256 <c>routerhost plugins</c> printed beside <paramref name="folder"/>.</summary>
    private static string Sha256Of(string list, string folder)
    {
        Match line = Regex.Match(list, Regex.Escape(folder) + "  sha256 ([0-9a-f]{64})");
        Assert.True(line.Success, list);
        return line.Groups[1].Value;
    }
}
