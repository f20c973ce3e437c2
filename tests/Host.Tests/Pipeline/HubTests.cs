using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;
using RouterHost.Configuration;
using RouterHost.Pipeline;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// A hub of 10 000 peers built in process from a configuration file, as <c>routerhost run</c> reads it (the file layer,
/// an override that names the stage): every peer is a port with its route and source check, status lists them all, a
/// reload that changes one peer changes that one, and a bad key among them is still reported at its key path. The
/// time and memory this takes are measured by <c>bench/tunnel/run --hub</c>, not here.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HubTests : IDisposable
{
    private const int Peers = 10_000;

    private readonly TempDirectory _dir = new();
    private readonly string _key;
    private readonly string[] _publicKeys = new string[Peers];

    public HubTests()
    {
        _key = _dir.WriteFile("hub.key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(_key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        for (int i = 0; i < Peers; i++)
        {
            _publicKeys[i] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        }
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Ten_thousand_peers_each_get_a_port_a_route_and_a_status_entry_and_a_reload_changes_only_the_one_changed()
    {
        var exchange = MemoryExchange.New();
        string file = WriteHub(exchange, changed: null);

        // The override names the stage, so every lookup of the peers' keys goes through the name-resolving layer too.
        IConfigurationRoot configuration = RouterConfiguration.Build([file], ["Pipeline:Stages:wg:Settings:ListenPort=0"]);
        using var watcher = (IDisposable)configuration;
        List<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options);
        Assert.Empty(problems);

        using Router router = Router.Build(options, configuration, TestRouter.Catalog, NullLoggerFactory.Instance);
        PortInfo[] peers = [.. router.Ports.Ports.Where(p => p.Id.Kind == PortKind.Peer)];
        Assert.Equal(Peers, peers.Length);
        for (int i = 0; i < Peers; i++)
        {
            Assert.True(router.Ports.TryFind(Name(i), out PortInfo port), $"peer {Name(i)} is not a port");
            Assert.Equal([System.Net.IPNetwork.Parse(Prefix(i))], port.Prefixes);
        }

        JsonElement routing = Status(router, "Routing");
        Assert.True(routing.GetProperty("routes").GetInt32() >= Peers, routing.ToString());
        Assert.Equal(Peers, routing.GetProperty("allowed_peer_prefixes").GetInt32());

        JsonElement wireGuard = Status(router, "wg");
        Assert.NotEqual(51820, wireGuard.GetProperty("listen_port").GetInt32()); // the override found the stage by name
        var names = new HashSet<string>(wireGuard.GetProperty("peers").EnumerateArray().Select(p => p.GetProperty("name").GetString()!));
        Assert.Equal(Enumerable.Range(0, Peers).Select(Name).ToHashSet(), names);

        // A reload that changes one peer's AllowedIPs: that peer's route and source check follow, the others stay.
        PortId before = Port(router, 1234).Id;
        WriteHub(exchange, changed: 1234);
        configuration.Reload();
        var stage = (IReconfigurableStage)router.Stages.Single(s => s.Name == "wg").Stage;
        Assert.Empty(stage.Reconfigure(configuration.GetSection("Pipeline:Stages:1:Settings"), router.Ports));
        Assert.Equal([System.Net.IPNetwork.Parse("10.127.255.254/32")], Port(router, 1234).Prefixes);
        Assert.Equal(before, Port(router, 1234).Id);
        Assert.Equal([System.Net.IPNetwork.Parse(Prefix(1233))], Port(router, 1233).Prefixes);
        Assert.Equal(Peers, router.Ports.Ports.Count(p => p.Id.Kind == PortKind.Peer));
        Assert.Equal(Peers, Status(router, "Routing").GetProperty("allowed_peer_prefixes").GetInt32());
    }

    [Fact]
    public void A_bad_key_among_ten_thousand_peers_is_reported_at_its_key_path()
    {
        _publicKeys[7777] = "not a key";
        string file = WriteHub(MemoryExchange.New(), changed: null);
        IConfigurationRoot configuration = RouterConfiguration.Build([file], []);
        using var watcher = (IDisposable)configuration;

        List<ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out _);

        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal("Pipeline:Stages:1:Settings:Peers:p07777:PublicKey", problem.Path);
        Assert.Contains("is not a WireGuard key", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_yields_no_shared_secret_is_refused_at_its_key_path_at_validation_and_on_a_reload()
    {
        // The static-static agreement is made on a peer's first handshake now, not at start: a low-order point (here
        // u = 1) must still be named by validation, and by a reload that brings it in.
        const string lowOrder = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        string good = _publicKeys[7777];
        _publicKeys[7777] = lowOrder;
        var exchange = MemoryExchange.New();
        string file = WriteHub(exchange, changed: null);
        IConfigurationRoot configuration = RouterConfiguration.Build([file], []);
        using var watcher = (IDisposable)configuration;

        ConfigurationProblem problem = Assert.Single(ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out _));
        Assert.Equal("Pipeline:Stages:1:Settings:Peers:p07777:PublicKey", problem.Path);
        Assert.Contains("yields no shared secret", problem.Message, StringComparison.Ordinal);

        _publicKeys[7777] = good;
        WriteHub(exchange, changed: null);
        configuration.Reload();
        Assert.Empty(ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options));
        using Router router = Router.Build(options, configuration, TestRouter.Catalog, NullLoggerFactory.Instance);

        _publicKeys[4321] = lowOrder;
        WriteHub(exchange, changed: null);
        configuration.Reload();
        var stage = (IReconfigurableStage)router.Stages.Single(s => s.Name == "wg").Stage;
        problem = Assert.Single(stage.Reconfigure(configuration.GetSection("Pipeline:Stages:1:Settings"), router.Ports));
        Assert.Equal("Pipeline:Stages:1:Settings:Peers:p04321:PublicKey", problem.Path);
        Assert.True(router.Ports.TryFind(Name(4321), out _), "the refused reload removed the peer it would have changed");
    }

    [Fact]
    public void The_stage_is_built_from_the_settings_its_validation_read_and_a_reload_reads_them_again()
    {
        string file = WriteHub(MemoryExchange.New(), changed: null);
        IConfigurationRoot configuration = RouterConfiguration.Build([file], []);
        using var watcher = (IDisposable)configuration;
        Assert.Empty(ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options));

        // The key file is gone after validation: the stage is still built, because it does not read its settings again.
        string key = File.ReadAllText(_key);
        File.Delete(_key);
        using Router router = Router.Build(options, configuration, TestRouter.Catalog, NullLoggerFactory.Instance);
        Assert.Equal(Peers, router.Ports.Ports.Count(p => p.Id.Kind == PortKind.Peer));

        // A reload is another configuration: read again, so the missing key file is reported.
        configuration.Reload();
        var stage = (IReconfigurableStage)router.Stages.Single(s => s.Name == "wg").Stage;
        ConfigurationProblem problem = Assert.Single(stage.Reconfigure(configuration.GetSection("Pipeline:Stages:1:Settings"), router.Ports));
        Assert.Equal("Pipeline:Stages:1:Settings:PrivateKeyFile", problem.Path);
        File.WriteAllText(_key, key);
    }

    private static string Name(int i) => $"p{i:D5}";

    private static string Prefix(int i) => $"10.{64 + ((i + 2) >> 16)}.{((i + 2) >> 8) & 255}.{(i + 2) & 255}/32";

    private static PortInfo Port(Router router, int i) =>
        router.Ports.TryFind(Name(i), out PortInfo port) ? port : throw new InvalidOperationException($"no port {Name(i)}");

    private static JsonElement Status(Router router, string stage)
    {
        var reporter = (IStatusReporter)router.Stages.Single(s => s.Name == stage).Stage;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            reporter.WriteStatus(writer);
        }

        return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
    }

    private string WriteHub(MemoryExchange exchange, int? changed)
    {
        var json = new StringBuilder();
        json.Append($$"""
            {
              "Pipeline": { "Stages": [
                { "Type": "Routing" },
                { "Type": "WireGuard", "Name": "wg", "Settings": {
                  "PrivateKeyFile": "{{_key}}", "ListenPort": 51820, "ListenAddresses": [ "127.0.0.1" ], "Sockets": 1,
                  "Peers": {
            """);
        for (int i = 0; i < Peers; i++)
        {
            string prefix = i == changed ? "10.127.255.254/32" : Prefix(i);
            json.Append($$"""{{(i == 0 ? string.Empty : ",")}}"{{Name(i)}}": { "PublicKey": "{{_publicKeys[i]}}", "AllowedIPs": [ "{{prefix}}" ] }""").Append('\n');
        }

        json.Append($$"""
              } } } ] },
              "Interfaces": { "lan": { "Backend": "Memory", "Settings": { "Exchange": "{{exchange.Id}}" } } }
            }
            """);
        string file = _dir.Combine("hub.json");
        File.WriteAllText(file + ".new", json.ToString());
        File.Move(file + ".new", file, overwrite: true);
        return file;
    }
}
