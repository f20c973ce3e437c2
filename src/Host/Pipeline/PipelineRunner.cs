using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// Runs the router: one <see cref="QueueWorker"/> thread per queue of every interface and per source of every stage
/// that has sources. Tells every worker which stage owns each peer (where a packet with a peer egress leaves): a
/// <see cref="PeerOwnerMap"/> rebuilt when peers change at runtime. Decides, once, which queue each worker writes to for each egress interface (its own queue index modulo
/// the egress's queue count, so equal queue counts pair queues one to one) and creates a <see cref="WriteGate"/>
/// only for a queue that more than one worker writes to. Stops in order: close every container (waking readers), join
/// the threads, dispose workers; the <see cref="Router"/> then releases stages and containers.
/// </summary>
internal sealed partial class PipelineRunner : IDisposable
{
    private readonly Router _router;
    private readonly ILogger _logger;
    private readonly List<QueueWorker> _workers = [];
    private readonly PeerOwnerMap _peerOwners;
    private Action<Exception>? _onFault;
    private int _state; // 0 new, 1 running, 2 stopped

    public PipelineRunner(Router router, ILogger<PipelineRunner> logger)
    {
        _router = router;
        _logger = logger;
        _peerOwners = new PeerOwnerMap(router.Ports.Ports, router.Stages);
        router.Ports.PortsChanged += OnPortsChanged;
        CreateWorkers();
        Metrics = new PipelineMetrics(this);
    }

    public Router Router => _router;

    public IReadOnlyList<QueueWorker> Workers => _workers;

    public PipelineMetrics Metrics { get; }

    /// <summary>Starts every worker. <paramref name="onFault"/> is told when a queue fails (the host then stops).</summary>
    public void Start(Action<Exception>? onFault = null)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The pipeline runner was already started.");
        }

        _onFault = onFault;
        foreach (QueueWorker worker in _workers)
        {
            worker.Start(OnWorkerFault);
        }

        Log.Started(_logger, _router.Interfaces.Count, _workers.Count, _router.Stages.Count, _router.BatchSize);
    }

    /// <summary>
    /// Stops every worker: closes all containers (each blocked read returns), then joins the threads within
    /// <paramref name="timeout"/>. Returns false if a thread did not leave in time (it is abandoned; it is a
    /// background thread and holds no lock).
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return true;
        }

        foreach (QueueWorker worker in _workers)
        {
            worker.RequestStop();
        }

        foreach (RouterInterface iface in _router.Interfaces)
        {
            try
            {
                iface.Container.Close();
            }
            catch (Exception ex)
            {
                Log.CloseFailed(_logger, ex, iface.Name);
            }
        }

        foreach ((RouterStage stage, int _, IPacketReader queue) in StageSources())
        {
            try
            {
                queue.Close();
            }
            catch (Exception ex)
            {
                Log.CloseFailed(_logger, ex, $"stage/{stage.Name}");
            }
        }

        DateTime deadline = DateTime.UtcNow + timeout;
        bool allJoined = true;
        foreach (QueueWorker worker in _workers)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (!worker.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                allJoined = false;
                Log.WorkerStuck(_logger, worker.InterfaceName, worker.QueueIndex);
            }
        }

        return allJoined;
    }

    public void Dispose()
    {
        _router.Ports.PortsChanged -= OnPortsChanged;
        Stop(TimeSpan.FromSeconds(5));
        Metrics.Dispose();
        foreach (QueueWorker worker in _workers)
        {
            if (!worker.IsRunning)
            {
                worker.Dispose();
            }
        }
    }

    /// <summary>Peers changed at runtime: the workers' peer-owner map follows (one swap).</summary>
    private void OnPortsChanged(object? sender, PortsChangedEventArgs e) => _peerOwners.Rebuild(_router.Ports.Ports);

    private void OnWorkerFault(QueueWorker worker, Exception ex) =>
        _onFault?.Invoke(new InvalidOperationException($"queue {worker.InterfaceName}/q{worker.QueueIndex} failed: {ex.Message}", ex));

    /// <summary>Every source queue of every stage that reads packets of its own, with the stage's position.</summary>
    private IEnumerable<(RouterStage Stage, int Position, IPacketReader Queue)> StageSources()
    {
        for (int k = 0; k < _router.Stages.Count; k++)
        {
            if (_router.Stages[k].Stage is IStageSource source)
            {
                foreach (IPacketReader queue in source.Sources)
                {
                    yield return (_router.Stages[k], k, queue);
                }
            }
        }
    }

    /// <summary>The lanes of this router: its interfaces' queues and its stages' sources (see <see cref="LanePlan"/>).</summary>
    private LanePlan PlanLanes()
    {
        var interfaceQueues = new List<IReadOnlyList<int>>(_router.Interfaces.Count);
        foreach (RouterInterface iface in _router.Interfaces)
        {
            var indices = new List<int>(iface.Container.Queues.Count);
            foreach (IQueue queue in iface.Container.Queues)
            {
                indices.Add(queue.Index);
            }

            interfaceQueues.Add(indices);
        }

        var sources = new List<(int Stage, int QueueIndex)>();
        foreach ((RouterStage _, int position, IPacketReader queue) in StageSources())
        {
            sources.Add((position, queue.Index));
        }

        return LanePlan.Compute(interfaceQueues, sources, _router.CpuAffinity);
    }

    /// <summary>Creates one worker per planned lane, with a <see cref="WriteGate"/> on each queue more than one lane writes to.</summary>
    private void CreateWorkers()
    {
        IReadOnlyList<RouterInterface> interfaces = _router.Interfaces;
        LanePlan plan = PlanLanes();
        var gates = new WriteGate?[interfaces.Count][];
        for (int e = 0; e < interfaces.Count; e++)
        {
            gates[e] = new WriteGate?[interfaces[e].Container.Queues.Count];
            for (int q = 0; q < gates[e].Length; q++)
            {
                gates[e][q] = plan.IsShared(e, q) ? new WriteGate() : null;
            }
        }

        var sources = new List<(RouterStage Stage, int Position, IPacketReader Queue)>(StageSources());
        try
        {
            foreach (PlannedLane lane in plan.Lanes)
            {
                var egress = new EgressTarget?[interfaces.Count];
                for (int e = 0; e < interfaces.Count; e++)
                {
                    LaneEgress way = lane.Egress[e];
                    RouterInterface target = interfaces[e];
                    egress[e] = new EgressTarget(target.Name, target.Container.Queues[way.Queue], way.IsSelf, way.IsSelf ? null : gates[e][way.Queue]);
                }

                QueueWorker worker = lane.IsStageSource
                    ? new QueueWorker(sources[lane.Source].Stage, lane.Stage, sources[lane.Source].Queue, lane.Number, _router.Stages, egress, _peerOwners, _router.BatchSize, _logger)
                    : new QueueWorker(interfaces[lane.Interface], interfaces[lane.Interface].Container.Queues[lane.Queue], lane.Number, _router.Stages, egress, _peerOwners, _router.BatchSize, _logger);
                worker.Cpu = lane.Cpu;
                worker.RealtimePriority = _router.RealtimePriority;
                _workers.Add(worker);
            }
        }
        catch
        {
            foreach (QueueWorker worker in _workers)
            {
                worker.Dispose();
            }

            throw;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Pipeline running: {Interfaces} interface(s), {Workers} queue worker(s), {Stages} stage(s), batches of {BatchSize}")]
        public static partial void Started(ILogger logger, int interfaces, int workers, int stages, int batchSize);

        [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Closing interface {Interface} failed")]
        public static partial void CloseFailed(ILogger logger, Exception exception, string @interface);

        [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Worker of {Interface}/q{Queue} did not stop in time; abandoning it")]
        public static partial void WorkerStuck(ILogger logger, string @interface, int queue);
    }
}
