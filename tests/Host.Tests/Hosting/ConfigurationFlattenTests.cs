using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Configuration;
using RouterHost.Hosting;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Hosting;

/// <summary>
/// The reloader's snapshot of every key and value, read provider by provider, is what the merged configuration lists:
/// the last layer with a key wins, a null there hides the key, children listed once however many keys share them.
/// </summary>
public sealed class ConfigurationFlattenTests
{
    [Fact]
    public void The_layers_of_a_router_configuration_flatten_to_what_the_merged_configuration_lists()
    {
        using var dir = new TempDirectory();
        string main = dir.WriteFile("router.json", """
            {
              "Pipeline": { "Stages": [ { "Type": "Routing" },
                { "Type": "WireGuard", "Name": "wg", "Settings": { "ListenPort": 51820, "Peers": {
                  "a": { "PublicKey": "x", "AllowedIPs": [ "10.0.0.1/32", "10.0.0.2/32" ] },
                  "B": { "PublicKey": "y", "Endpoint": null } } } } ] },
              "Interfaces": { "tun": { "Backend": "LinuxTun", "Settings": { "Queues": 2 } } }
            }
            """);
        Directory.CreateDirectory(Path.Combine(dir.Path, "conf.d"));
        File.WriteAllText(Path.Combine(dir.Path, "conf.d", "10-more.json"), """
            { "Pipeline": { "Stages": [ { "Settings": { "Routes": [ { "Destination": "10.1.0.0/16", "Interface": "tun" } ] } } ] },
              "interfaces": { "TUN": { "settings": { "queues": 4 } } } }
            """);
        IConfigurationRoot configuration = RouterConfiguration.Build(
            [main, Path.Combine(dir.Path, "conf.d")], ["Pipeline:Stages:wg:Settings:ListenPort=0", "Log:Format=json"]);

        Assert.Equal(Merged(configuration), Sorted(ConfigurationReloader.Flatten(configuration)));
        Assert.Equal("4", ConfigurationReloader.Flatten(configuration)["Interfaces:tun:Settings:Queues"]);
    }

    [Fact]
    public void Any_layers_of_keys_values_and_nulls_flatten_to_what_the_merged_configuration_lists()
    {
        Gen<string> segment = Gen.Elements("a", "A", "b", "0", "1", "10", "peers");
        Gen<string> key = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(segment, n)).Select(parts => string.Join(':', parts));
        Gen<string?> value = Gen.Frequency((4, Gen.Elements<string?>("v", "w", "")), (1, Gen.Constant<string?>(null)));
        Gen<(string Key, string? Value)[]> layer = Gen.ArrayOf(key.SelectMany(k => value.Select(v => (k, v))));
        Prop.ForAll(Gen.ArrayOf(layer).Select(l => l.Take(4).ToArray()).ToArbitrary(), layers =>
        {
            var builder = new ConfigurationBuilder();
            foreach ((string Key, string? Value)[] entries in layers)
            {
                var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
                foreach ((string k, string? v) in entries)
                {
                    data[k] = v;
                }

                builder.AddInMemoryCollection(data);
            }

            IConfigurationRoot configuration = builder.Build();
            return Merged(configuration).SequenceEqual(Sorted(ConfigurationReloader.Flatten(configuration)));
        }).QuickCheckThrowOnFailure();
    }

    // Keys compare without regard to case, as configuration keys do (which layer's spelling a merged key keeps is not
    // defined).
    private static List<(string Key, string? Value)> Merged(IConfiguration configuration) =>
        [.. configuration.AsEnumerable().Where(kv => kv.Value is not null).Select(kv => (kv.Key.ToUpperInvariant(), kv.Value)).OrderBy(kv => kv.Item1, StringComparer.Ordinal)];

    private static List<(string Key, string? Value)> Sorted(Dictionary<string, string?> values) =>
        [.. values.Select(kv => (kv.Key.ToUpperInvariant(), kv.Value)).OrderBy(kv => kv.Item1, StringComparer.Ordinal)];
}
