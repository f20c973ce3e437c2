using RouterHost.Crypto;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Documentation;

/// <summary>
/// docs/architecture/crypto.md: where the CPU has AVX-512 the router seals and opens with its own ChaCha20-Poly1305,
/// and <c>DOTNET_PreferredVectorBitWidth=256</c> (the runtime's own switch) puts it back on OpenSSL. Either way the
/// WireGuard stage's start line names the one in use, and that one carries pings and TCP to and from Debian's
/// wireguard-go both ways.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class DocumentedAeadChoiceTests
{
    [Theory]
    [InlineData(null, "ChaCha20-Poly1305 from RouterHost's own AVX-512 code, OpenSSL the fallback")]
    [InlineData("256", "ChaCha20-Poly1305 from OpenSSL (")]
    public void The_start_line_names_the_AEAD_and_that_one_tunnels_to_wireguard_go(string? preferredVectorBitWidth, string expected)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        Assert.SkipUnless(CryptoLibrary.AeadProvider == "AVX-512", "this CPU has no AVX-512 (F and VL): the router uses OpenSSL whatever the setting");
        string doc = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "architecture", "crypto.md"));
        Assert.Contains("DOTNET_PreferredVectorBitWidth=256", doc, StringComparison.Ordinal);

        using DocumentedSite site = DocumentedSite.Create("aead", "198.51.100.1/24", "198.51.100.7/24");
        using var keys = new KeyPair();
        DocumentedConfiguration.Write(site.Etc, "wg0.key", keys.PrivateKey + "\n");
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(site.Net.B, 51820, ["10.98.0.1/16"]);
        peer.SetPeer(keys.PublicKey, "10.99.0.0/24");
        site.Net.B.Ip("route", "add", "10.99.0.0/24", "dev", peer.InterfaceName).EnsureSuccess();
        string config = DocumentedConfiguration.Write(site.Etc, "routerhost.json", $$"""
            {
              "Interfaces": { "tun0": { "Backend": "LinuxTun", "Settings": { "Mtu": 1420, "Addresses": [ "10.99.0.1/24" ], "Routes": [ "10.98.0.0/16" ] } } },
              "Pipeline": { "Stages": [
                { "Type": "Routing", "Settings": { "IcmpSource": { "IPv4": "10.99.0.254" } } },
                { "Type": "WireGuard", "Name": "wg0", "Settings": { "PrivateKeyFile": "{{site.Etc}}/wg0.key",
                  "Peers": { "b": { "PublicKey": "{{peer.PublicKey}}", "Endpoint": "198.51.100.7:51820", "AllowedIPs": [ "10.98.0.0/16" ] } } } } ] }
            }
            """);
        DocumentedSite.AssertValid(config);

        Dictionary<string, string>? environment = preferredVectorBitWidth is null ? null : new() { ["DOTNET_PreferredVectorBitWidth"] = preferredVectorBitWidth };
        using RouterHostProcess router = DocumentedConfiguration.Run(site.Net.A, config, site.Etc, out _, environment);
        Assert.Contains($"WireGuard 'wg0': {expected}", router.Output, StringComparison.Ordinal);

        DocumentedSite.AssertPing(site.Net.A, "10.98.0.1", router, peer);
        DocumentedSite.AssertPing(site.Net.B, "10.99.0.1", router, peer);
        site.AssertTcpBothWays(router, ("10.98.0.1", 5301, 31), ("10.99.0.1", 5302, 32));
        DocumentedSite.AssertStops(router);
    }
}
