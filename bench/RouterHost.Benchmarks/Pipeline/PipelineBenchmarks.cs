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
/// 0-stage chain as the baseline. <see cref="PeerToPeer"/>: the same batch as a tunnel stage's source delivers it,
/// walking inbound from the tunnel through the forwarding stage (which names the tunnel's peer) and the N stages,
/// then turned around to the tunnel stage, which takes it (the peer-to-peer way out, without encryption: the
/// runner's share of a hub's work). Must allocate nothing.
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

    [GlobalSetup(Target = nameof(Batch))]
    public void Setup() => Build(peerToPeer: false);

    [GlobalSetup(Target = nameof(PeerToPeer))]
    public void SetupPeerToPeer() => Build(peerToPeer: true);

    private void Build(bool peerToPeer)
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
        data[$"Pipeline:Stages:{PassThroughStages}:Settings:To"] = peerToPeer ? "far" : "mem1";
        if (peerToPeer)
        {
            data[$"Pipeline:Stages:{PassThroughStages + 1}:Type"] = "Tunnel";
            data[$"Pipeline:Stages:{PassThroughStages + 1}:Settings:Exchange"] = "bench";
            data[$"Pipeline:Stages:{PassThroughStages + 1}:Settings:Peer"] = "far";
            data[$"Pipeline:Stages:{PassThroughStages + 1}:Settings:Discard"] = "true";
        }

        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        PluginCatalog catalog = PluginCatalog.Discover("/nonexistent", [typeof(MemoryBackendPlugin), typeof(PassThroughStagePlugin), typeof(ForwardStagePlugin), typeof(TunnelStagePlugin)]);
        var problems = ConfigurationValidator.Validate(configuration, catalog, out RouterOptions options);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        _router = Router.Build(options, configuration, catalog, NullLoggerFactory.Instance);
        _runner = new PipelineRunner(_router, NullLogger<PipelineRunner>.Instance);
        _worker = peerToPeer ? _runner.Workers.Single(w => w.InterfaceName == "stage/Tunnel") : _runner.Workers[0];
        _source = _router.Interfaces[0].Container.Queues[0];
        if (peerToPeer)
        {
            // One lap first: the tunnel stage must take every packet on the way out, or this measures a drop path.
            Batch();
            long taken = _worker.StageCounters[PassThroughStages + 1].Consumed;
            if (taken != 64)
            {
                throw new InvalidOperationException($"the tunnel stage took {taken} of 64 packets ({_worker.Received.DropTotal} dropped)");
            }
        }
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

    /// <summary>Process one batch of 64 packets from a tunnel's peer routed back to a peer of that tunnel.</summary>
    [Benchmark(OperationsPerInvoke = 1)]
    public int PeerToPeer() => Batch();
}
