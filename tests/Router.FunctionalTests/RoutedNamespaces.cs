using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Configuration;
using RouterHost.Hosting;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.Plugins.LinuxTun;

namespace RouterHost.FunctionalTests;

/// <summary>
/// Two network namespaces, each with a real TUN device of one in-process RouterHost whose chain is the built-in
/// Firewall and Routing stages: A (10.1.0.1/24, fd01::1/64) reaches B (10.2.0.2/24, fd02::2/64) only through
/// RouterHost's routing table. The configuration is a JSON file on disk, watched for changes by the host's real
/// reloader, so tests can rewrite it under traffic. The router is an <see cref="InProcessRouter"/>.
/// </summary>
internal sealed class RoutedNamespaces : IDisposable
{
    public static readonly IPAddress A4 = IPAddress.Parse("10.1.0.1");
    public static readonly IPAddress B4 = IPAddress.Parse("10.2.0.2");
    public static readonly IPAddress A6 = IPAddress.Parse("fd01::1");
    public static readonly IPAddress B6 = IPAddress.Parse("fd02::2");

    /// <summary>The address the router's ICMP errors come from.</summary>
    public const string IcmpSource4 = "10.255.0.1";

    public const string IcmpSource6 = "fd00::ff";

    private static readonly PluginCatalog s_catalog = PluginCatalog.Discover("/nonexistent", [.. PluginDiscovery.BuiltInFactories, typeof(LinuxTunBackendPlugin)]);

    private readonly string _directory;
    private readonly InProcessRouter _router;
    private readonly ConfigurationReloader _reloader;

    private RoutedNamespaces(NetworkNamespace a, NetworkNamespace b, string directory, IConfigurationRoot configuration, InProcessRouter router, ConfigurationReloader reloader)
    {
        A = a;
        B = b;
        _directory = directory;
        Configuration = configuration;
        _router = router;
        _reloader = reloader;
    }

    public NetworkNamespace A { get; }

    public NetworkNamespace B { get; }

    public IConfigurationRoot Configuration { get; }

    public Router Router => _router.Router;

    public PipelineRunner Runner => _router.Runner;

    public Exception? Fault => _router.Fault;

    public string ConfigPath => Path.Combine(_directory, "router.json");

    /// <summary>Reloads applied so far by the host's reloader.</summary>
    public int ReloadsApplied => _reloader.Applied;

    public int ReloadsRefused => _reloader.Refused;

    /// <summary>The JSON of the Firewall stage's Settings for <see cref="Start"/> and <see cref="Rewrite"/>.</summary>
    /// <param name="firewallSettings">The Firewall stage's settings.</param>
    /// <param name="routingExtra">More routes, each after a comma.</param>
    /// <param name="configuredRoutes">False to configure no route at all (the interfaces' addresses remain).</param>
    /// <param name="routingOptions">More Routing settings, each followed by a comma.</param>
    public static string Json(string firewallSettings, string routingExtra = "", bool configuredRoutes = true, string routingOptions = "")
    {
        string routes = configuredRoutes
            ? $$"""
                { "Destination": "10.1.0.0/24", "Interface": "tunA" }, { "Destination": "fd01::/64", "Interface": "tunA" },
                { "Destination": "10.2.0.0/24", "Interface": "tunB" }, { "Destination": "fd02::/64", "Interface": "tunB" } {{routingExtra}}
                """
            : string.Empty;
        return $$"""
            {
              "Pipeline": { "Stages": [
                { "Type": "Firewall", "Settings": {{firewallSettings}} },
                { "Type": "Routing", "Settings": {
                    "Routes": [ {{routes}} ], {{routingOptions}}
                    "IcmpSource": { "IPv4": "{{IcmpSource4}}", "IPv6": "{{IcmpSource6}}" } } }
              ] },
              "Interfaces": {
                "tunA": { "Backend": "LinuxTun", "Groups": [ "inside" ], "Settings": { "Namespace": "@A", "DeviceName": "rh0",
                          "Addresses": [ "10.1.0.1/24", "fd01::1/64" ], "Routes": [ "10.2.0.0/24", "fd02::/64", "10.3.0.0/24", "10.255.0.0/24", "fd00::/64" ] } },
                "tunB": { "Backend": "LinuxTun", "Settings": { "Namespace": "@B", "DeviceName": "rh0",
                          "Addresses": [ "10.2.0.2/24", "fd02::2/64" ], "Routes": [ "10.1.0.0/24", "fd01::/64", "10.255.0.0/24", "fd00::/64" ] } }
              }
            }
            """;
    }

    public static RoutedNamespaces Start(string firewallSettings, string routingExtra = "", bool configuredRoutes = true, string routingOptions = "")
    {
        NetworkNamespace a = NetworkNamespace.Create("sta");
        NetworkNamespace? b = null;
        string directory = Directory.CreateTempSubdirectory("rh-stages-").FullName;
        try
        {
            b = NetworkNamespace.Create("stb");
            string path = Path.Combine(directory, "router.json");
            File.WriteAllText(path, Substitute(Json(firewallSettings, routingExtra, configuredRoutes, routingOptions), a, b));
            IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: true).Build();
            var router = InProcessRouter.Start(configuration, s_catalog, [a, b]);
            var reloader = new ConfigurationReloader(configuration, s_catalog, router.Router, router.Options, NullLogger.Instance);
            reloader.Start();
            return new RoutedNamespaces(a, b, directory, configuration, router, reloader);
        }
        catch
        {
            b?.Dispose();
            a.Dispose();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Rewrites the configuration file with new firewall settings and waits until the reloader applied it.</summary>
    public void Rewrite(string firewallSettings, string routingExtra = "")
    {
        int applied = ReloadsApplied;
        int refused = ReloadsRefused;
        File.WriteAllText(ConfigPath, Substitute(Json(firewallSettings, routingExtra), A, B));
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (ReloadsApplied == applied && ReloadsRefused == refused)
        {
            Assert.True(DateTime.UtcNow < deadline, "the reloader did not pick up the rewritten configuration file");
            Thread.Sleep(50);
        }
    }

    public T Stage<T>(string name)
        where T : class =>
        (T)Router.Stages.Single(s => s.Name == name).Stage;

    /// <summary>Packets the named stage dropped or rejected, by reason name.</summary>
    public Dictionary<string, long> StageDrops(string stage)
    {
        StageStatistics s = Runner.Metrics.SnapshotStages().Single(x => x.Name == stage);
        var drops = new Dictionary<string, long>(s.Dropped);
        foreach ((string reason, long count) in s.Rejected)
        {
            drops[reason] = drops.GetValueOrDefault(reason) + count;
        }

        return drops;
    }

    public void Dispose()
    {
        try
        {
            _reloader.Dispose();
            _router.Dispose();
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string Substitute(string json, NetworkNamespace a, NetworkNamespace b) =>
        json.Replace("\"@A\"", $"\"{a.Name}\"", StringComparison.Ordinal).Replace("\"@B\"", $"\"{b.Name}\"", StringComparison.Ordinal);
}
