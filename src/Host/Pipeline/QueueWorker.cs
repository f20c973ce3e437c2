using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Pipeline;

/// <summary>
/// Serves one queue of one interface (or one source of a stage, see <see cref="IStageSource"/>), run to
/// completion on its own thread: read a batch, walk it through every stage, hand what is left to its way out,
/// end the batch (every stage worker sends what it queued, <see cref="IStageWorker.EndBatch"/>), flush the
/// interface writes, repeat: the lane drives every flush of what its batches send. An interface's batches enter at
/// the inside end walking outbound; a stage source's enter at its stage walking inbound. At the end of a walk a
/// packet leaves by its <see cref="WayOut"/>: an interface's through that interface's queue (segmented first unless
/// the queue is an <see cref="IGsoWriter"/> that accepts its type), a peer's through the stage that owns the peer (turned around to it, walking outbound: a
/// packet from one peer routed to another). Everything it touches per packet was allocated before the first read:
/// the batch and its emit arenas, the turnaround batch, its stages' workers, its egress targets, counters.
/// </summary>
internal sealed partial class QueueWorker : IDisposable
{
    /// <summary>A stage that throws drops the batch it was given, counted under this reason.</summary>
    public static readonly DropReason StageFault = DropReason.Register("stage_fault");

    /// <summary>A stage dropped or rejected a packet without saying why.</summary>
    public static readonly DropReason Unspecified = DropReason.Register("unspecified");

    private readonly string _name;
    private readonly IPacketReader _source;
    private readonly PortId _ingress;
    private readonly int _entryStage;
    private readonly PacketDirection _direction;
    private readonly ushort _queueIndex;
    private readonly PacketBatch _batch;
    private readonly IStageWorker[] _stages;
    private readonly StageCounters[] _stageCounters;
    private readonly EgressTarget?[] _egress;
    private readonly EgressTarget[] _touched;
    private readonly ILogger _logger;
    private readonly DropTally _flushDrops = new();

    // Peer egress: the chain position of the stage that owns each peer (by peer index; -1 = none), and the batch
    // that carries packets turned around to that stage. One turnaround per packet: a packet the owner leaves with
    // a peer egress (or one emitted while turning around) is peer_not_handled, never turned again.
    private readonly PeerOwnerMap _peerOwners;
    private readonly PacketBatch _turnaround;
    private bool _turning;

    // Segmentation of superpackets for egresses that do not take them whole: reused after the batch's flush (a queue may hold
    // written packets until then).
    private const int SegmentHeadroom = 64;
    private const int SegmentTailroom = 64;
    private readonly SegmentScratch _segments = new(1 << 20);
    private int _touchedCount;
    private long _faults;
    private Thread? _thread;
    private volatile bool _stopping;
    private long _busySince;
    private long _batches;

    /// <summary>A worker for an interface's queue: batches enter at stage 0 walking outbound.</summary>
    /// <param name="peerOwners">For each peer index, the chain position of the stage that owns the peer (-1: none), swapped whole when peers change; see <see cref="PeerOwnerMap.Owners"/>.</param>
    public QueueWorker(RouterInterface iface, IQueue source, int lane, IReadOnlyList<RouterStage> stages, EgressTarget?[] egress, PeerOwnerMap peerOwners, int batchSize, ILogger logger)
        : this(iface.Name, iface.Port.Id, 0, PacketDirection.Outbound, source, lane, stages, egress, peerOwners, batchSize, logger)
    {
    }

    /// <summary>A worker for a stage's own source: batches enter at <paramref name="entryStage"/> walking inbound.</summary>
    public QueueWorker(RouterStage stage, int entryStage, IPacketReader source, int lane, IReadOnlyList<RouterStage> stages, EgressTarget?[] egress, PeerOwnerMap peerOwners, int batchSize, ILogger logger)
        : this($"stage/{stage.Name}", PortId.None, entryStage, PacketDirection.Inbound, source, lane, stages, egress, peerOwners, batchSize, logger)
    {
    }

    private QueueWorker(string name, PortId ingress, int entryStage, PacketDirection direction, IPacketReader source, int lane, IReadOnlyList<RouterStage> stages, EgressTarget?[] egress, PeerOwnerMap peerOwners, int batchSize, ILogger logger)
    {
        _name = name;
        _source = source;
        _ingress = ingress;
        _entryStage = entryStage;
        _direction = direction;
        _queueIndex = (ushort)source.Index;
        Lane = lane;
        _batch = new PacketBatch(batchSize);

        // The owner may emit (one generation deep); what it emits walks on like any emission.
        _turnaround = new PacketBatch(batchSize, emitDepth: 1) { Direction = PacketDirection.Outbound };
        _peerOwners = peerOwners;
        _egress = egress;
        _touched = new EgressTarget[egress.Length];
        _logger = logger;
        _stages = new IStageWorker[stages.Count];
        _stageCounters = new StageCounters[stages.Count];
        for (int i = 0; i < stages.Count; i++)
        {
            _stageCounters[i] = new StageCounters();
            try
            {
                _stages[i] = stages[i].Stage.CreateWorker(lane);
            }
            catch (Exception ex)
            {
                for (int j = 0; j < i; j++)
                {
                    _stages[j].Dispose();
                }

                throw new RouterStartupException($"stage '{stages[i].Name}' (plugin '{stages[i].Type}') could not create its worker for lane {lane}: {ex.GetType().Name}: {ex.Message}", ex);
            }
        }
    }

    public int Lane { get; }

    /// <summary>The interface's name, or <c>stage/NAME</c> for a stage's source.</summary>
    public string InterfaceName => _name;

    public int QueueIndex => _queueIndex;

    public TrafficCounters Received { get; } = new();

    public IReadOnlyList<EgressTarget?> Egress => _egress;

    public IReadOnlyList<StageCounters> StageCounters => _stageCounters;

    /// <summary>Set when the worker stopped because its queue failed.</summary>
    public Exception? Fault { get; private set; }

    public bool IsRunning => _thread is { IsAlive: true };

    /// <summary>Starts the worker's thread; <paramref name="onFault"/> is called if the queue fails.</summary>
    public void Start(Action<QueueWorker, Exception> onFault)
    {
        _thread = new Thread(() => Run(onFault))
        {
            IsBackground = true,
            Name = $"rh {_name}/q{_queueIndex}",
        };
        _thread.Start();
    }

    /// <summary>
    /// When the worker's thread started on the batch it is processing now (<see cref="Environment.TickCount64"/>, odd so
    /// it is never 0), or 0 while it waits for a batch (an idle lane is not a stalled one). The systemd watchdog
    /// (<see cref="Hosting.SystemdWatchdog"/>) stops its pings when a lane stays inside one batch too long.
    /// </summary>
    public long BusySince => Volatile.Read(ref _busySince);

    /// <summary>How many batches the worker's thread has processed.</summary>
    public long Batches => Volatile.Read(ref _batches);

    /// <summary>Asks the loop to end after the current batch (the queue's Close wakes a blocked read).</summary>
    public void RequestStop() => _stopping = true;

    /// <summary>Waits for the thread to leave; false if it did not within the timeout.</summary>
    public bool Join(TimeSpan timeout) => _thread is null || _thread.Join(timeout);

    /// <summary>The CPU this worker's thread pins itself to when it starts; null: the thread floats.</summary>
    public int? Cpu { get; set; }

    /// <summary>The <c>SCHED_FIFO</c> priority this worker's thread takes when it starts (1..99); 0: normal scheduling.</summary>
    public int RealtimePriority { get; set; }

    private void Run(Action<QueueWorker, Exception> onFault)
    {
        if (Cpu is { } cpu && OperatingSystem.IsLinux())
        {
            if (Linux.ThreadAffinity.TryPin(cpu, out string? error))
            {
                Log.Pinned(_logger, _name, _queueIndex, cpu);
            }
            else
            {
                Log.PinFailed(_logger, _name, _queueIndex, error!);
            }
        }

        if (RealtimePriority > 0 && OperatingSystem.IsLinux())
        {
            if (Linux.ThreadScheduling.TrySetFifo(RealtimePriority, out string? error))
            {
                Log.Realtime(_logger, _name, _queueIndex, RealtimePriority);
            }
            else
            {
                Log.RealtimeFailed(_logger, _name, _queueIndex, error!);
            }
        }

        try
        {
            while (!_stopping)
            {
                _batch.Clear();
                if (!_source.Read(_batch))
                {
                    break;
                }

                // Per batch, not per packet: the watchdog sees a lane stuck inside one batch (BusySince).
                Volatile.Write(ref _busySince, Environment.TickCount64 | 1);
                ProcessBatch();
                Volatile.Write(ref _busySince, 0);
                Volatile.Write(ref _batches, _batches + 1);
            }
        }
        catch (Exception ex)
        {
            Fault = ex;
            Log.QueueFailed(_logger, ex, _name, _queueIndex);
            onFault(this, ex);
        }
    }

    /// <summary>
    /// Runs the batch just read through the chain and out. Public for benchmarks and tests, which drive a
    /// worker without its thread.
    /// </summary>
    public void ProcessBatch()
    {
        PacketBatch batch = _batch;
        batch.Direction = _direction;
        Span<Packet> packets = batch.AsSpan();
        long bytes = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet p = ref packets[i];
            p.Ingress = _ingress;
            p.IngressQueue = _queueIndex;
            bytes += p.Length;
        }

        Received.Packets += packets.Length;
        Received.Bytes += bytes;
        _turnaround.Clear();
        DropTally readDrops = batch.ReadDrops;
        for (int i = 0; i < readDrops.ReasonCount; i++)
        {
            var (reason, count) = readDrops.GetEntry(i);
            Received.AddDrop(reason, count);
        }

        try
        {
            RunChain(batch, _entryStage);
        }
        catch (Exception ex)
        {
            // A stage bug must not take the router down: the batch is lost, counted and logged (rate-limited).
            Received.AddDrop(StageFault, batch.Count);
            if ((_faults++ & 1023) == 0)
            {
                Log.StageThrew(_logger, ex, _name, _queueIndex, _faults);
            }
        }
        finally
        {
            EndBatch();
            FlushTouched();
        }
    }

    /// <summary>
    /// Tells every stage worker of this lane that the batch is over (<see cref="IStageWorker.EndBatch"/>): what a
    /// stage queued on its own wire (a tunnel's sends) leaves now, before the lane flushes its interface writes.
    /// </summary>
    private void EndBatch()
    {
        IStageWorker[] stages = _stages;
        for (int k = 0; k < stages.Length; k++)
        {
            try
            {
                stages[k].EndBatch();
            }
            catch (Exception ex)
            {
                if ((_faults++ & 1023) == 0)
                {
                    Log.StageThrew(_logger, ex, _name, _queueIndex, _faults);
                }
            }
        }
    }

    /// <summary>The batch the worker reads into (benchmarks fill it directly).</summary>
    internal PacketBatch Batch => _batch;

    private void RunChain(PacketBatch batch, int from)
    {
        int step = batch.Direction == PacketDirection.Outbound ? 1 : -1;
        for (int k = from; (uint)k < (uint)_stages.Length && batch.Count > 0; k += step)
        {
            RunStage(batch, k);
        }

        Deliver(batch);
    }

    /// <summary>Stage <paramref name="k"/> processes the batch; it is counted, and what the stage emitted walks on.</summary>
    private void RunStage(PacketBatch batch, int k)
    {
        StageCounters counters = _stageCounters[k];
        int arrived = batch.Count;
        _stages[k].Process(batch);
        Account(counters, batch);

        // In is published after what became of those packets: a reader that sees it (PipelineMetrics reads it first)
        // also sees their verdicts, so in never runs ahead of forwarded + consumed + dropped + rejected.
        Volatile.Write(ref counters.In, counters.In + arrived);
        RunEmitted(batch, PacketDirection.Outbound, k + 1, counters);
        RunEmitted(batch, PacketDirection.Inbound, k - 1, counters);
    }

    private void RunEmitted(PacketBatch parent, PacketDirection direction, int next, StageCounters counters)
    {
        PacketBatch? emitted = parent.Emitted(direction);
        if (emitted is null || emitted.Count == 0)
        {
            return;
        }

        // Packets emitted by an earlier stage of this batch were delivered already and marked consumed:
        // only the new ones walk on. Their arena bytes stay put until the next read, past every flush.
        emitted.RemoveDecided();
        if (emitted.Count == 0)
        {
            return;
        }

        counters.Emitted += emitted.Count;
        Span<Packet> packets = emitted.AsSpan();
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet p = ref packets[i];
            if (p.Ingress.IsNone)
            {
                p.Ingress = PortId.Local;
            }
        }

        RunChain(emitted, next);
        packets = emitted.AsSpan();
        for (int i = 0; i < packets.Length; i++)
        {
            packets[i].Verdict = PacketVerdict.Consumed;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Account(StageCounters counters, PacketBatch batch)
    {
        Span<Packet> packets = batch.AsSpan();
        long forwarded = 0;
        long forwardedBytes = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet p = ref packets[i];
            switch (p.Verdict)
            {
                case PacketVerdict.Forward:
                    forwarded++;
                    forwardedBytes += p.Length;
                    break;
                case PacketVerdict.Dropped:
                    counters.Dropped[(p.DropReason.IsNone ? Unspecified : p.DropReason).Id]++;
                    counters.DroppedTotal++;
                    break;
                case PacketVerdict.Rejected:
                    counters.Rejected[(p.DropReason.IsNone ? Unspecified : p.DropReason).Id]++;
                    counters.RejectedTotal++;
                    break;
                default:
                    counters.Consumed++;
                    break;
            }
        }

        counters.Forwarded += forwarded;
        counters.ForwardedBytes += forwardedBytes;
        if (forwarded != packets.Length)
        {
            batch.RemoveDecided();
        }
    }

    /// <summary>
    /// The end of a walk: each packet leaves by its <see cref="WayOut"/> — written to an interface's queue (segmented
    /// here first when it is a superpacket and the queue has no GSO), handed to the stage that owns its peer
    /// (<see cref="TurnToPeers"/>), or counted as a drop.
    /// </summary>
    private void Deliver(PacketBatch batch)
    {
        Span<Packet> packets = batch.AsSpan();
        int toPeers = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet p = ref packets[i];
            switch (WayOuts.Choose(in p, _egress, out EgressTarget? target))
            {
                case WayOut.Interface:
                    Send(target!, in p);
                    break;
                case WayOut.SegmentForInterface:
                    SegmentAndSend(target!, in p);
                    break;
                case WayOut.PeerOwner:
                    toPeers++;
                    break;
                case WayOut.NoEgress:
                    Received.AddDrop(DropReason.NoEgress);
                    break;
                default:
                    Received.AddDrop(DropReason.EgressUnavailable);
                    break;
            }
        }

        if (toPeers != 0)
        {
            TurnToPeers(batch, toPeers);
        }
    }

    /// <summary>
    /// Hands the batch's packets with a peer egress to the stages that own those peers: for each owner (usually
    /// one), its packets are copied (the <see cref="Packet"/> values, not their bytes) into the turnaround batch,
    /// which that stage alone processes walking outbound, on this thread — a tunnel stage encrypts them (segmenting
    /// superpackets itself) and sends them on this lane's sockets. The stages between the walk's end and the owner
    /// are not walked again: each stage, the firewall included, saw the packet once on its way in. What the owner
    /// emits walks on as any emission; what it leaves goes to its egress, a peer egress now counted
    /// <c>peer_not_handled</c>.
    /// </summary>
    private void TurnToPeers(PacketBatch batch, int toPeers)
    {
        if (_turning)
        {
            Received.AddDrop(DropReason.PeerNotHandled, toPeers);
            return;
        }

        _turning = true;
        try
        {
            int[] owners = _peerOwners.Current; // one snapshot for the whole batch
            Span<Packet> packets = batch.AsSpan();
            int next = 0;
            while (toPeers > 0)
            {
                int owner = -1;
                _turnaround.Truncate(0);
                for (int i = next; i < packets.Length; i++)
                {
                    ref Packet p = ref packets[i];
                    if (p.Egress.Kind != PortKind.Peer || p.Verdict != PacketVerdict.Forward)
                    {
                        continue;
                    }

                    int index = p.Egress.Index;
                    int stage = (uint)index < (uint)owners.Length ? owners[index] : -1;
                    if (stage < 0)
                    {
                        Received.AddDrop(DropReason.PeerNotHandled);
                        p.Verdict = PacketVerdict.Consumed;
                        toPeers--;
                        continue;
                    }

                    if (owner < 0)
                    {
                        owner = stage;
                        next = i + 1;
                    }
                    else if (stage != owner)
                    {
                        continue;
                    }

                    ref Packet turned = ref _turnaround.Append(p.Buffer, p.Offset, p.Length);
                    turned = p;
                    p.Verdict = PacketVerdict.Consumed;
                    toPeers--;
                }

                if (owner < 0)
                {
                    break;
                }

                RunOwner(_turnaround, owner);
            }
        }
        finally
        {
            _turning = false;
        }
    }

    /// <summary>One stage processes the turnaround batch walking outbound; then its emissions and leftovers go on.</summary>
    private void RunOwner(PacketBatch turnaround, int owner)
    {
        turnaround.Direction = PacketDirection.Outbound;
        RunStage(turnaround, owner);
        Deliver(turnaround);
    }

    private void Send(EgressTarget target, in Packet p)
    {
        DropReason result;
        if (target.IsSelf)
        {
            result = target.Queue.WriteFromSelf(in p);
        }
        else
        {
            if (!target.Touched)
            {
                target.Gate?.Enter();
                target.Touched = true;
                _touched[_touchedCount++] = target;
            }

            result = target.Queue.Write(in p);
        }

        if (result.IsNone)
        {
            target.Sent.Packets++;
            target.Sent.Bytes += p.Length;
        }
        else
        {
            target.Sent.AddDrop(result);
        }
    }

    /// <summary>
    /// Splits a superpacket for an egress that cannot take it (into MSS-sized packets with correct headers and
    /// checksums) and sends each segment.
    /// </summary>
    private void SegmentAndSend(EgressTarget target, in Packet superpacket)
    {
        DropReason why = _segments.Plan(in superpacket, SegmentHeadroom, SegmentTailroom);
        if (why.IsNone && !_segments.PlanFits)
        {
            // The scratch is in use by packets written earlier in this batch: release them first.
            FlushTouched();
        }

        if (why.IsNone)
        {
            why = _segments.Write(in superpacket);
        }

        if (!why.IsNone)
        {
            target.Sent.AddDrop(why);
            return;
        }

        for (int i = 0; i < _segments.Count; i++)
        {
            Packet segment = _segments.SegmentAt(in superpacket, i);
            Send(target, in segment);
        }
    }

    private void FlushTouched()
    {
        _segments.Reset();
        for (int i = 0; i < _touchedCount; i++)
        {
            EgressTarget target = _touched[i];
            try
            {
                target.Queue.Flush(_flushDrops);
                if (_flushDrops.Total != 0)
                {
                    // Accepted by Write, refused by the device at flush: no longer sent, counted as dropped.
                    target.Sent.Packets -= _flushDrops.Total;
                    for (int r = 0; r < _flushDrops.ReasonCount; r++)
                    {
                        var (reason, count) = _flushDrops.GetEntry(r);
                        target.Sent.AddDrop(reason, count);
                    }

                    _flushDrops.Clear();
                }
            }
            catch (Exception ex)
            {
                // A failing device is reported by its reader; here the held packets are counted as lost.
                target.Sent.AddDrop(DropReason.WriteFailed);
                Log.FlushFailed(_logger, ex, target.InterfaceName);
            }
            finally
            {
                target.Touched = false;
                target.Gate?.Exit();
            }
        }

        _touchedCount = 0;
    }

    public void Dispose()
    {
        foreach (IStageWorker worker in _stages)
        {
            worker.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 103, Level = LogLevel.Debug, Message = "Worker {Interface}/q{Queue} runs on CPU {Cpu}")]
        public static partial void Pinned(ILogger logger, string @interface, int queue, int cpu);

        [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Worker {Interface}/q{Queue} could not be pinned ({Error}); it runs unpinned")]
        public static partial void PinFailed(ILogger logger, string @interface, int queue, string error);

        [LoggerMessage(EventId = 105, Level = LogLevel.Debug, Message = "Worker {Interface}/q{Queue} runs SCHED_FIFO at priority {Priority}")]
        public static partial void Realtime(ILogger logger, string @interface, int queue, int priority);

        [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Worker {Interface}/q{Queue} could not take Pipeline:RealtimePriority ({Error}); it runs at normal priority")]
        public static partial void RealtimeFailed(ILogger logger, string @interface, int queue, string error);

        [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Flushing writes to {Interface} failed")]
        public static partial void FlushFailed(ILogger logger, Exception exception, string @interface);

        [LoggerMessage(EventId = 100, Level = LogLevel.Critical, Message = "Queue {Interface}/q{Queue} failed; its worker stopped")]
        public static partial void QueueFailed(ILogger logger, Exception exception, string @interface, int queue);

        [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "A stage threw while processing a batch from {Interface}/q{Queue}; the batch was dropped ({Faults} faults so far)")]
        public static partial void StageThrew(ILogger logger, Exception exception, string @interface, int queue, long faults);
    }
}
