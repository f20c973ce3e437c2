using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;
using RouterHost.Plugins;
using RouterHost.Plugins.LinuxTun;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>The site-router example of docs/configuration.md is a configuration the host accepts as written.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class DocumentedExampleTests
{
    [Fact]
    public void The_site_router_example_in_the_configuration_reference_validates()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "configuration.md"));
        int at = docs.IndexOf("A site router", StringComparison.Ordinal);
        Assert.True(at >= 0, "the example is gone from docs/configuration.md");
        Match block = JsonBlock().Match(docs, at);
        Assert.True(block.Success);
        using var keys = new KeyPair();
        string psk = keys.WriteSecret("site-b.psk", KeyPair.NewPresharedKey());
        string json = block.Groups[1].Value.Replace("/etc/routerhost/wg0.key", keys.PrivateKeyFile, StringComparison.Ordinal)
            .Replace("/etc/routerhost/site-b.psk", psk, StringComparison.Ordinal);
        IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        PluginCatalog catalog = PluginCatalog.Discover("/nonexistent", [.. PluginDiscovery.BuiltInFactories, typeof(LinuxTunBackendPlugin)]);
        var problems = ConfigurationValidator.Validate(configuration, catalog, out _);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
