using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Configuration;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.TestPlugins.MemoryBackend;
using RouterHost.TestPlugins.TestStages;

namespace RouterHost.Benchmarks.Pipeline;

/// <summary>
/// One batch of 64 packets (1400 bytes) read from the in-memory backend, walked through N pass-through stages and
/// a forwarding stage, and written to a second in-memory interface: the runner's own cost per batch, with the
/// 0-stage chain as the baseline. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private Router _router = null!;
    private PipelineRunner _runner = null!;
    private QueueWorker _worker = null!;
    private Abstractions.IQueue _source = null!;

    [Params(0, 1, 4, 8)]
    public int PassThroughStages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = new Dictionary<string, string?>
        {
            ["Pipeline:BatchSize"] = "64",
            ["Interfaces:mem0:Backend"] = "Memory",
            ["Interfaces:mem0:Settings:Mode"] = "Generate",
            ["Interfaces:mem0:Settings:PacketSize"] = "1400",
            ["Interfaces:mem1:Backend"] = "Memory",
            ["Interfaces:mem1:Settings:Mode"] = "Generate",
        };
        for (int i = 0; i < PassThroughStages; i++)
        {
            data[$"Pipeline:Stages:{i}:Name"] = $"pass{i}";
            data[$"Pipeline:Stages:{i}:Type"] = "PassThrough";
        }

        data[$"Pipeline:Stages:{PassThroughStages}:Type"] = "Forward";
        data[$"Pipeline:Stages:{PassThroughStages}:Settings:To"] = "mem1";

        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        PluginCatalog catalog = PluginCatalog.Discover("/nonexistent", [typeof(MemoryBackendPlugin), typeof(PassThroughStagePlugin), typeof(ForwardStagePlugin)]);
        var problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        _router = Router.Build(options, configuration, catalog, NullLoggerFactory.Instance);
        _runner = new PipelineRunner(_router, NullLogger<PipelineRunner>.Instance);
        _worker = _runner.Workers[0];
        _source = _router.Interfaces[0].Container.Queues[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        _router.Dispose();
    }

    /// <summary>Read, process and deliver one batch of 64 packets.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public int Batch()
    {
        _worker.Batch.Clear();
        _source.Read(_worker.Batch);
        _worker.ProcessBatch();
        return _worker.Batch.Count;
    }
}
