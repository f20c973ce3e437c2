using System.Net;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Documentation;

/// <summary>
/// docs/quickstart.md followed literally: office is wireguard-go at 192.0.2.1 with 10.8.0.1/24 and 192.168.50.0/24
/// behind it; RouterHost's keys come from the page's commands, its configuration is the page's JSON (only office's
/// public key and the folder of the files differ, as for any reader), and routerhost runs it. No route is written by
/// hand on RouterHost's side: handshake, ping both ways, TCP both ways, then stop and nothing of RouterHost's is left.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class QuickstartTests
{
    private const string DocumentedOfficeKey = "RlayIL8/++XQTNEvomgEsVwPOZ6dpVjMOZfEgfoZWjo=";

    [Fact]
    public void The_quickstart_brings_up_a_tunnel_to_an_existing_WireGuard_peer_with_no_route_written_by_hand()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using DocumentedSite site = DocumentedSite.Create("qs", "192.0.2.2/24", "192.0.2.1/24");
        NamespacePair net = site.Net;
        string etc = site.Etc;
        // Office: an existing WireGuard peer with a network behind it.
        using WireGuardGoPeer office = WireGuardGoPeer.Start(net.B, 51820, ["10.8.0.1/24"]);
        net.B.Ip("addr", "add", "192.168.50.1/24", "dev", "lo").EnsureSuccess();

        // 1. Keys, with the page's commands (their /etc/routerhost is this test's folder).
        string[] keyCommands = DocumentedConfiguration.Commands("quickstart.md", "## 1. Keys");
        Assert.Contains("routerhost genkey > /etc/routerhost/wg0.key && chmod 600 /etc/routerhost/wg0.key", keyCommands);
        Assert.Contains("routerhost pubkey < /etc/routerhost/wg0.key", keyCommands);
        var (genExit, privateKey) = RouterHostProcess.Run("genkey");
        Assert.Equal(0, genExit);
        string keyFile = DocumentedConfiguration.Write(etc, "wg0.key", privateKey.Trim() + "\n");
        using RouterHostProcess pubkey = RouterHostProcess.Start(["pubkey"], standardInput: File.ReadAllText(keyFile));
        Assert.True(pubkey.WaitForExit(TimeSpan.FromSeconds(30)));
        string publicKey = pubkey.Output.Trim();

        // 2. Office learns RouterHost's key, as the page says.
        string officeCommand = DocumentedConfiguration.Commands("quickstart.md", "## 2. Tell office about RouterHost").Single();
        string[] words = officeCommand.Replace("<RouterHost's public key>", publicKey, StringComparison.Ordinal).Split(' ');
        Assert.Equal(["wg", "set", "wg0", "peer", publicKey, "allowed-ips", "10.8.0.2/32"], words);
        office.Wg(["set", office.InterfaceName, .. words[3..]]);

        // 3. The configuration, as written; office's key is the one a reader replaces.
        string json = DocumentedConfiguration.Extract("quickstart.md", "## 3. The configuration");
        Assert.Contains(DocumentedOfficeKey, json, StringComparison.Ordinal);
        json = json.Replace(DocumentedOfficeKey, office.PublicKey, StringComparison.Ordinal).Replace("/etc/routerhost/", etc + "/", StringComparison.Ordinal);
        string config = DocumentedConfiguration.Write(etc, "routerhost.json", json);
        string validOutput = DocumentedSite.AssertValid(config);
        Assert.Contains("note: Interfaces:tun:KernelRoutes: the peers' AllowedIPs (10.8.0.1/32, 192.168.50.0/24) become kernel routes on interface 'tun'", validOutput, StringComparison.Ordinal);

        // 4. Run.
        using RouterHostProcess router = DocumentedConfiguration.Run(net.A, config, etc, out string socket);

        // 5. Check, as the page does.
        string routes = net.A.Ip("route", "show", "dev", "rh0").EnsureSuccess().StdOut;
        Assert.Contains("192.168.50.0/24 proto 210", routes, StringComparison.Ordinal);
        Assert.Contains("10.8.0.1 proto 210", routes, StringComparison.Ordinal);
        DocumentedSite.AssertPing(net.A, "10.8.0.1", router, office);
        DocumentedSite.AssertPing(net.A, "192.168.50.1", router, office);
        DocumentedSite.AssertPing(net.B, "10.8.0.2", router, office);
        Assert.NotEqual(0, office.LatestHandshake(publicKey));
        var (showExit, show) = RouterHostProcess.Run("show", "--socket", socket);
        Assert.True(showExit == 0, show);
        Assert.Contains(office.PublicKey, show, StringComparison.Ordinal);
        Assert.DoesNotContain("latest handshake: never", show, StringComparison.Ordinal);

        site.AssertTcpBothWays(router, inB: ("192.168.50.1", 5021, 21), inA: ("10.8.0.2", 5022, 22));
        DocumentedSite.AssertStops(router);
        Assert.DoesNotContain("rh0", net.A.Ip("link", "show").StdOut, StringComparison.Ordinal);
        Assert.Equal(string.Empty, net.A.Ip("route", "show", "table", "all", "proto", "210").StdOut.Trim());
    }
}
