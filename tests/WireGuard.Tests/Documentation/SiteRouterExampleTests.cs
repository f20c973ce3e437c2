using System.Net;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Documentation;

/// <summary>
/// The site router of docs/configuration.md ("## Example") run as written, by routerhost in a namespace standing for
/// the site's machine, against wireguard-go as site-b at the example's endpoint 198.51.100.7 with 10.2.0.0/16 and
/// fd02::/48. Only what a reader must replace differs: site-b's public key, and the folder of the key files and the log.
/// RouterHost's side gets no route by hand (the TUN's addresses are connected routes, the peer's AllowedIPs kernel
/// routes); site-b gets the routes wg-quick would add there for its AllowedIPs. The example's firewall lets the site
/// reach site-b freely and site-b reach ICMP and TCP 22/443 of the site.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class SiteRouterExampleTests
{
    private const string DocumentedSiteBKey = "/uuyxiOWZviUDcoLN62Qv2JCl5Gtj9T3oCf7hbjNhlU=";

    [Fact]
    public void The_site_router_example_passes_ping_and_TCP_both_ways_with_a_real_peer()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using DocumentedSite site = DocumentedSite.Create("site", "198.51.100.1/24", "198.51.100.7/24");
        NamespacePair net = site.Net;
        string etc = site.Etc;
        using var keys = new KeyPair();
        string psk = KeyPair.NewPresharedKey();
        string json = DocumentedConfiguration.Extract("configuration.md", "## Example");
        Assert.Contains(DocumentedSiteBKey, json, StringComparison.Ordinal);

        using WireGuardGoPeer siteB = WireGuardGoPeer.Start(net.B, 51820, ["10.2.0.1/16", "fd02::1/48"]);
        siteB.SetPeer(keys.PublicKey, "10.1.0.0/16,fd01::/48", presharedKey: psk);
        net.B.Ip("route", "add", "10.1.0.0/16", "dev", siteB.InterfaceName).EnsureSuccess();
        net.B.Ip("-6", "route", "add", "fd01::/48", "dev", siteB.InterfaceName).EnsureSuccess();

        DocumentedConfiguration.Write(etc, "wg0.key", keys.PrivateKey + "\n");
        DocumentedConfiguration.Write(etc, "site-b.psk", psk + "\n");
        json = json.Replace(DocumentedSiteBKey, siteB.PublicKey, StringComparison.Ordinal)
            .Replace("/etc/routerhost/", etc + "/", StringComparison.Ordinal)
            .Replace("/var/log/routerhost.log", Path.Combine(etc, "routerhost.log"), StringComparison.Ordinal);
        string config = DocumentedConfiguration.Write(etc, "appsettings.json", json);
        DocumentedSite.AssertValid(config);

        using RouterHostProcess router = DocumentedConfiguration.Run(net.A, config, etc, out _);
        DocumentedSite.AssertPing(net.A, "10.2.0.1", router, siteB);
        DocumentedSite.AssertPing(net.A, "fd02::1", router, siteB);
        DocumentedSite.AssertPing(net.B, "10.1.0.1", router, siteB);
        DocumentedSite.AssertPing(net.B, "10.1.0.254", router, siteB); // the router's own address
        Assert.NotEqual(0, siteB.LatestHandshake(keys.PublicKey));

        site.AssertTcpBothWays(router, inB: ("10.2.0.1", 5031, 31), inA: ("10.1.0.1", 443, 32));
        DocumentedSite.AssertStops(router);
    }
}
