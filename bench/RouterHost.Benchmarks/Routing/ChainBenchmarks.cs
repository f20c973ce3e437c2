using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Configuration;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.TestPlugins.MemoryBackend;
using RouterHost.TestPlugins.TestStages;

namespace RouterHost.Benchmarks.Routing;

/// <summary>
/// The built-in chain on the runner: one batch of 64 IPv4/UDP packets (1400 bytes, 64 flows) read from the
/// in-memory backend, walked through the chain and written to a second in-memory interface. Baseline: the Forward
/// test stage (no parsing, one fixed egress); then Routing alone (parse, 10k-prefix lookup with ECMP, TTL
/// decrement) and Firewall + Routing (parse, connection-table hit, 200 rules behind it). Reported per packet; must
/// allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class ChainBenchmarks
{
    private const int BatchSize = 64;
    private Router _router = null!;
    private PipelineRunner _runner = null!;
    private QueueWorker _worker = null!;
    private IQueue _source = null!;
    private byte[] _ttl = [];
    private ushort[] _checksums = [];

    [Params("Forward", "Routing", "Firewall+Routing")]
    public string Chain { get; set; } = "Forward";

    [GlobalSetup]
    public void Setup()
    {
        var data = new Dictionary<string, string?>
        {
            ["Pipeline:BatchSize"] = $"{BatchSize}",
            ["Interfaces:mem0:Backend"] = "Memory",
            ["Interfaces:mem0:Settings:Mode"] = "Generate",
            ["Interfaces:mem0:Settings:PacketSize"] = "1400",
            ["Interfaces:mem1:Backend"] = "Memory",
            ["Interfaces:mem1:Settings:Mode"] = "Generate",
        };
        int stage = 0;
        if (Chain == "Forward")
        {
            data["Pipeline:Stages:0:Type"] = "Forward";
            data["Pipeline:Stages:0:Settings:To"] = "mem1";
        }
        else
        {
            if (Chain.StartsWith("Firewall", StringComparison.Ordinal))
            {
                data[$"Pipeline:Stages:{stage}:Type"] = "Firewall";
                data[$"Pipeline:Stages:{stage}:Settings:DefaultPolicy:Outbound"] = "drop";
                for (int r = 0; r < 200; r++)
                {
                    data[$"Pipeline:Stages:{stage}:Settings:Rules:{r}:Action"] = "accept";
                    data[$"Pipeline:Stages:{stage}:Settings:Rules:{r}:Protocol"] = r % 2 == 0 ? "tcp" : "udp";
                    data[$"Pipeline:Stages:{stage}:Settings:Rules:{r}:Sources:0"] = $"10.{r % 250}.0.0/16";
                    data[$"Pipeline:Stages:{stage}:Settings:Rules:{r}:Ports:0"] = $"{5101 + r}";
                }

                // The generated flows (10.0.0.x:12345 → 10.1.0.1:5001, UDP) match only the last rule.
                data[$"Pipeline:Stages:{stage}:Settings:Rules:200:Action"] = "accept";
                data[$"Pipeline:Stages:{stage}:Settings:Rules:200:Protocol"] = "udp";
                data[$"Pipeline:Stages:{stage}:Settings:Rules:200:Sources:0"] = "10.0.0.0/24";
                data[$"Pipeline:Stages:{stage}:Settings:Rules:200:Ports:0"] = "5001";

                stage++;
            }

            data[$"Pipeline:Stages:{stage}:Type"] = "Routing";
            var random = new Random(7);
            for (int r = 0; r < 10_000; r++)
            {
                data[$"Pipeline:Stages:{stage}:Settings:Routes:{r}:Destination"] = $"{11 + random.Next(200)}.{random.Next(256)}.{random.Next(256)}.0/24";
                data[$"Pipeline:Stages:{stage}:Settings:Routes:{r}:Interface"] = "mem0";
            }

            data[$"Pipeline:Stages:{stage}:Settings:Routes:10000:Destination"] = "10.1.0.0/16";
            data[$"Pipeline:Stages:{stage}:Settings:Routes:10000:Interface"] = "mem1";
            data[$"Pipeline:Stages:{stage}:Settings:Routes:10001:Destination"] = "10.1.0.0/16";
            data[$"Pipeline:Stages:{stage}:Settings:Routes:10001:Interface"] = "mem1";
            data[$"Pipeline:Stages:{stage}:Settings:Routes:10001:Metric"] = "1";
        }

        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        PluginCatalog catalog = PluginCatalog.Discover("/nonexistent", [.. PluginDiscovery.BuiltInFactories, typeof(MemoryBackendPlugin), typeof(ForwardStagePlugin)]);
        var problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        _router = Router.Build(options, configuration, catalog, NullLoggerFactory.Instance);
        _runner = new PipelineRunner(_router, NullLogger<PipelineRunner>.Instance);
        _worker = _runner.Workers[0];
        _source = _router.Interfaces[0].Container.Queues[0];

        // The generator hands out the same buffers every time; remember each packet's TTL and header checksum so
        // every batch starts from the same bytes although routing decrements the TTL in place.
        _worker.Batch.Clear();
        _source.Read(_worker.Batch);
        _ttl = new byte[BatchSize];
        _checksums = new ushort[BatchSize];
        for (int i = 0; i < _worker.Batch.Count; i++)
        {
            Span<byte> p = _worker.Batch[i].Data;
            _ttl[i] = p[8];
            _checksums[i] = (ushort)((p[10] << 8) | p[11]);
        }

        Batch();
        Batch();
        long sent = _runner.Metrics.SnapshotQueues().Where(q => q.Interface == "mem1").Sum(q => q.SentPackets);
        if (sent != 2 * BatchSize)
        {
            throw new InvalidOperationException($"chain {Chain} delivered {sent} of {2 * BatchSize} packets to mem1");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _runner.Dispose();
        _router.Dispose();
    }

    /// <summary>Read, process and deliver one batch of 64 packets.</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int Batch()
    {
        PacketBatch batch = _worker.Batch;
        batch.Clear();
        _source.Read(batch);
        for (int i = 0; i < batch.Count; i++)
        {
            Span<byte> p = batch[i].Data;
            p[8] = _ttl[i];
            p[10] = (byte)(_checksums[i] >> 8);
            p[11] = (byte)_checksums[i];
        }

        _worker.ProcessBatch();
        return batch.Count;
    }
}
