using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RouterHost.Configuration;
using RouterHost.Hosting;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.Plugins.LinuxTun;
using RouterHost.WireGuard.Stage;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// A RouterHost node run in the test process with its devices and sockets in one network namespace: a LinuxTun
/// interface "tun" (addressed with the overlay address, so the namespace's own programs use the tunnel), and the chain
/// [Routing, WireGuard]. The configuration is the real JSON a deployment would use, validated by the host's own
/// validator and built by its own Router.
/// </summary>
internal sealed class RouterHostNode : IDisposable
{
    private static readonly PluginCatalog s_catalog = PluginCatalog.Discover("/nonexistent", [.. PluginDiscovery.BuiltInFactories, typeof(LinuxTunBackendPlugin)]);

    private RouterHostNode(Router router, PipelineRunner runner, string json, ILoggerFactory loggerFactory)
    {
        Router = router;
        Runner = runner;
        Json = json;
        LoggerFactory = loggerFactory;
    }

    public Router Router { get; }

    public PipelineRunner Runner { get; }

    public string Json { get; }

    public ILoggerFactory LoggerFactory { get; }

    public Exception? Fault { get; private set; }

    /// <summary>The configuration reloader, for a node started from a file (<see cref="StartFromFile"/>).</summary>
    public ConfigurationReloader? Reloader { get; private set; }

    internal WireGuardStage Tunnel => (WireGuardStage)Router.Stages.Single(s => s.Type == "WireGuard").Stage;

    /// <summary>
    /// The JSON of a node: its TUN in <paramref name="ns"/> with <paramref name="overlay"/> addresses, a route back to
    /// each of them, and the WireGuard stage with <paramref name="wireGuardSettings"/> (a JSON object) whose sockets
    /// live in the same namespace. <paramref name="tunMtu"/> is the TUN's MTU; <paramref name="routingSettings"/>, when
    /// given, replaces the Routing stage's settings (which otherwise route each overlay address to the TUN).
    /// </summary>
    public static string Config(NetworkNamespace ns, string[] overlay, string wireGuardSettings, int batchSize = 64, int tunMtu = 1420, string? routingSettings = null)
    {
        string routes = string.Join(", ", overlay.Select(a => $$"""{ "Destination": "{{a.Split('/')[0]}}/{{(a.Contains(':', StringComparison.Ordinal) ? 128 : 32)}}", "Interface": "tun" }"""));
        routingSettings ??= $$"""{ "Routes": [ {{routes}} ] }""";
        string addresses = string.Join(", ", overlay.Select(a => $"\"{a}\""));
        wireGuardSettings = wireGuardSettings.Replace("\"@NS\"", $"\"{ns.Name}\"", StringComparison.Ordinal);
        return $$"""
            {
              "Pipeline": { "BatchSize": {{batchSize}}, "Stages": [
                { "Type": "Routing", "Settings": {{routingSettings}} },
                { "Type": "WireGuard", "Name": "wg", "Settings": {{wireGuardSettings}} }
              ] },
              "Interfaces": {
                "tun": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{ns.Name}}", "DeviceName": "rhwg0", "Mtu": {{tunMtu}}, "Queues": 2, "Addresses": [ {{addresses}} ] } }
              }
            }
            """;
    }

    public static RouterHostNode Start(string json, ILoggerFactory? loggerFactory = null)
    {
        loggerFactory ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        List<Abstractions.ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, s_catalog, out RouterOptions options);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Router router = Router.Build(options, configuration, s_catalog, loggerFactory);
        var runner = new PipelineRunner(router, loggerFactory.CreateLogger<PipelineRunner>());
        var node = new RouterHostNode(router, runner, json, loggerFactory);
        runner.Start(ex => node.Fault = ex);
        return node;
    }

    /// <summary>
    /// Starts a node from a configuration file (trusted as <c>run</c> trusts it) with the host's own reloader watching it,
    /// so the test changes the router as an operator does: by saving the file.
    /// </summary>
    public static RouterHostNode StartFromFile(string file, ILoggerFactory loggerFactory)
    {
        IConfigurationRoot configuration = RouterConfiguration.AddTrustedJsonFile(new ConfigurationBuilder(), file).Build();
        List<Abstractions.ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, s_catalog, out RouterOptions options);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Router router = Router.Build(options, configuration, s_catalog, loggerFactory);
        var runner = new PipelineRunner(router, loggerFactory.CreateLogger<PipelineRunner>());
        var node = new RouterHostNode(router, runner, File.ReadAllText(file), loggerFactory);
        runner.Start(ex => node.Fault = ex);
        node.Reloader = new ConfigurationReloader(configuration, s_catalog, router, options, loggerFactory.CreateLogger("RouterHost.Reload"));
        node.Reloader.Start();
        return node;
    }

    /// <summary>Every stage's counts and each WireGuard stage's status document, for failure messages.</summary>
    public string Describe()
    {
        var text = new System.Text.StringBuilder();
        foreach (StageStatistics stage in Runner.Metrics.SnapshotStages())
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"stage {stage.Name}: in {stage.In}, forwarded {stage.Forwarded}, consumed {stage.Consumed}, emitted {stage.Emitted}, dropped [{string.Join(", ", stage.Dropped.Select(d => $"{d.Key} {d.Value}"))}]\n");
        }

        foreach (QueueStatistics queue in Runner.Metrics.SnapshotQueues())
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"queue {queue.Interface}/{queue.Queue}: rx {queue.ReceivedPackets}, tx {queue.SentPackets}, rx drops [{string.Join(", ", queue.ReceiveDrops.Select(d => $"{d.Key} {d.Value}"))}], tx drops [{string.Join(", ", queue.SendDrops.Select(d => $"{d.Key} {d.Value}"))}]\n");
        }

        foreach (RouterStage stage in Router.Stages.Where(s => s.Type == "WireGuard"))
        {
            using var stream = new MemoryStream();
            using (var writer = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true }))
            {
                ((WireGuardStage)stage.Stage).WriteStatus(writer);
            }

            text.Append(System.Text.Encoding.UTF8.GetString(stream.ToArray())).Append('\n');
        }

        return text.ToString();
    }

    public void Dispose()
    {
        Reloader?.Dispose();
        Runner.Stop(TimeSpan.FromSeconds(5));
        Runner.Dispose();
        Router.Dispose();
    }
}
