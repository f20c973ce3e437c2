using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RouterHost.Configuration;
using RouterHost.Hosting;
using RouterHost.Pipeline;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Hosting;

[NeedsRoot]
public sealed class ConfigurationReloaderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static string Config(string exchange, string to, string batchSize = "64") => $$"""
        {
          "Pipeline": { "BatchSize": {{batchSize}}, "Stages": [ { "Name": "fwd", "Type": "Forward", "Settings": { "To": "{{to}}" } } ] },
          "Interfaces": {
            "mem0": { "Backend": "Memory", "Settings": { "Exchange": "{{exchange}}" } },
            "mem1": { "Backend": "Memory", "Settings": { "Exchange": "{{exchange}}" } },
            "mem2": { "Backend": "Memory", "Settings": { "Exchange": "{{exchange}}" } } }
        }
        """;

    [Fact]
    public void A_valid_change_to_a_configuration_file_moves_traffic_while_it_flows_and_an_invalid_one_is_refused_with_key_paths()
    {
        using var dir = new TempDirectory();
        var exchange = MemoryExchange.New();
        string file = dir.WriteFile("router.json", Config(exchange.Id, "mem1"));
        IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: true).Build();
        Assert.Empty(ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options));
        var logs = new ListLogger();
        using Router router = Router.Build(options, configuration, TestRouter.Catalog, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        using var runner = new PipelineRunner(router, Microsoft.Extensions.Logging.Abstractions.NullLogger<PipelineRunner>.Instance);
        using var reloader = new ConfigurationReloader(configuration, TestRouter.Catalog, router, options, logs);
        runner.Start();
        reloader.Start();

        exchange.Inject("mem0", 0, Bytes.Packet(0x45, 1));
        Assert.Single(exchange.Take("mem1", 0, "out", 1, Wait));

        // A valid change: the stage takes its new target while the router runs.
        File.WriteAllText(file, Config(exchange.Id, "mem2"));
        Eventually(() => reloader.Applied == 1);
        exchange.Inject("mem0", 0, Bytes.Packet(0x45, 2));
        Assert.Single(exchange.Take("mem2", 0, "out", 1, Wait));
        Assert.Contains(logs.Lines, l => l.Contains("reload #1 applied: 1 stage(s) reconfigured", StringComparison.Ordinal));

        // An invalid change: refused as a whole, each problem logged with its key path; traffic keeps going to mem2.
        File.WriteAllText(file, Config(exchange.Id, "nowhere", batchSize: "\"lots\""));
        Eventually(() => reloader.Refused == 1);
        exchange.Inject("mem0", 0, Bytes.Packet(0x45, 3));
        Assert.Single(exchange.Take("mem2", 0, "out", 1, Wait));
        Assert.Empty(exchange.Drain("mem1", 0, "out"));
        Assert.Contains(logs.Lines, l => l.Contains("Configuration reload: Pipeline:BatchSize: must be a whole number", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("keeping the last good configuration", StringComparison.Ordinal));

        // A structural change is reported as needing a restart.
        File.WriteAllText(file, Config(exchange.Id, "mem1", batchSize: "32"));
        Eventually(() => reloader.Applied == 2);
        Assert.Contains(logs.Lines, l => l.Contains("Configuration reload: Pipeline:BatchSize: changed, not applied (needs restart)", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("reload #3 applied in part: 1 stage(s) reconfigured; 1 changed key(s) not applied", StringComparison.Ordinal));
        exchange.Inject("mem0", 0, Bytes.Packet(0x45, 4));
        Assert.Single(exchange.Take("mem1", 0, "out", 1, Wait));
    }

    [Fact]
    public void A_stage_that_refuses_its_new_settings_keeps_its_last_good_ones()
    {
        var exchange = MemoryExchange.New();
        var data = new Dictionary<string, string?>
        {
            ["Pipeline:Stages:0:Type"] = "Forward",
            ["Pipeline:Stages:0:Settings:To"] = "mem1",
            ["Interfaces:mem0:Backend"] = "Memory",
            ["Interfaces:mem0:Settings:Exchange"] = exchange.Id,
            ["Interfaces:mem1:Backend"] = "Memory",
            ["Interfaces:mem1:Settings:Exchange"] = exchange.Id,
        };
        var source = new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = data };
        IConfigurationRoot configuration = new ConfigurationBuilder().Add(source).Build();
        Assert.Empty(ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options));
        var logs = new ListLogger();
        using Router router = Router.Build(options, configuration, TestRouter.Catalog, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        using var runner = new PipelineRunner(router, Microsoft.Extensions.Logging.Abstractions.NullLogger<PipelineRunner>.Instance);
        using var reloader = new ConfigurationReloader(configuration, TestRouter.Catalog, router, options, logs);
        runner.Start();

        // Valid for the validator (a non-empty name) but not a port: the stage itself refuses it.
        configuration["Pipeline:Stages:0:Settings:To"] = "eth7";
        reloader.Apply();

        Assert.Contains(logs.Lines, l => l.Contains("Pipeline:Stages:0:Settings:To: 'eth7' is not a port", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Contains("stage Forward refused its new settings", StringComparison.Ordinal));
        exchange.Inject("mem0", 0, Bytes.Packet(0x45, 1));
        Assert.Single(exchange.Take("mem1", 0, "out", 1, Wait));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void An_attackers_edit_of_a_watched_file_others_can_write_is_refused_with_its_reason_and_traffic_keeps_its_path()
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        using var dir = new TempDirectory();
        var exchange = MemoryExchange.New();
        string file = dir.WriteFile("router.json", Config(exchange.Id, "mem1"));
        string edit = dir.WriteFile("edit.json", Config(exchange.Id, "mem2"));
        IConfigurationRoot configuration = RouterConfiguration.AddTrustedJsonFile(new ConfigurationBuilder(), file).Build();
        Assert.Empty(ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options));
        var logs = new ListLogger();
        using Router router = Router.Build(options, configuration, TestRouter.Catalog, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        using var runner = new PipelineRunner(router, Microsoft.Extensions.Logging.Abstractions.NullLogger<PipelineRunner>.Instance);
        using var reloader = new ConfigurationReloader(configuration, TestRouter.Catalog, router, options, logs);
        runner.Start();
        reloader.Start();

        // A careless chmod, and nobody rewrites the file in place.
        File.SetUnixFileMode(file, (UnixFileMode)0x1B6);
        UnprivilegedUser.Run("/bin/cp", edit, file);
        Eventually(() => reloader.Refused >= 1);

        Assert.Contains(logs.Lines, l => l.Contains($"Configuration reload: {file}: configuration file '{file}' is writable by group and others (mode 0666, owner root): run `chmod go-w '{file}'`", StringComparison.Ordinal));
        Assert.Equal(0, reloader.Applied);
        Assert.Equal("mem1", configuration["Pipeline:Stages:0:Settings:To"]);
        exchange.Inject("mem0", 0, Bytes.Packet(0x45, 1));
        Assert.Single(exchange.Take("mem1", 0, "out", 1, Wait));
        Assert.Empty(exchange.Drain("mem2", 0, "out"));

        // Closed again by its owner, the file is read on its next change.
        File.SetUnixFileMode(file, TempDirectory.FileMode);
        File.Copy(edit, file, overwrite: true);
        Eventually(() => reloader.Applied == 1);
        exchange.Inject("mem0", 0, Bytes.Packet(0x45, 2));
        Assert.Single(exchange.Take("mem2", 0, "out", 1, Wait));
    }

    private static void Eventually(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + Wait;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the reload did not happen in time");
            Thread.Sleep(20);
        }
    }

    private sealed class ListLogger : ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
