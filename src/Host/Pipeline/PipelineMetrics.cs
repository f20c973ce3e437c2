using System.Diagnostics.Metrics;
using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>
/// Exposes the workers' counters through <see cref="System.Diagnostics.Metrics"/> (meter <c>RouterHost</c>) as
/// observable instruments: the data path only increments plain per-thread fields, and collection sums them.
/// </summary>
internal sealed class PipelineMetrics : IDisposable
{
    public const string MeterName = "RouterHost";

    private readonly PipelineRunner _runner;
    private readonly Meter _meter;

    public PipelineMetrics(PipelineRunner runner)
    {
        _runner = runner;
        _meter = new Meter(MeterName, "1.0");
        _meter.CreateObservableCounter("routerhost.interface.received.packets", () => QueueMeasurements(static s => s.ReceivedPackets), "{packet}", "Packets read from an interface queue");
        _meter.CreateObservableCounter("routerhost.interface.received.bytes", () => QueueMeasurements(static s => s.ReceivedBytes), "By", "Bytes read from an interface queue");
        _meter.CreateObservableCounter("routerhost.interface.sent.packets", () => QueueMeasurements(static s => s.SentPackets), "{packet}", "Packets written to an interface queue");
        _meter.CreateObservableCounter("routerhost.interface.sent.bytes", () => QueueMeasurements(static s => s.SentBytes), "By", "Bytes written to an interface queue");
        _meter.CreateObservableCounter("routerhost.interface.dropped.packets", QueueDropMeasurements, "{packet}", "Packets an interface queue refused or could not deliver, by reason");
        _meter.CreateObservableCounter("routerhost.stage.packets", StagePacketMeasurements, "{packet}", "Packets a stage saw, by outcome");
        _meter.CreateObservableCounter("routerhost.stage.forwarded.bytes", () => StageMeasurements(static s => s.ForwardedBytes), "By", "Bytes a stage passed on");
        _meter.CreateObservableCounter("routerhost.stage.dropped.packets", StageDropMeasurements, "{packet}", "Packets a stage dropped or rejected, by reason");
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>Totals per interface queue (receive side as read, send side as written by any worker).</summary>
    public IReadOnlyList<QueueStatistics> SnapshotQueues()
    {
        var byKey = new Dictionary<(string Interface, int Queue), QueueStatistics>();
        QueueStatistics Get(string iface, int queue)
        {
            if (!byKey.TryGetValue((iface, queue), out QueueStatistics? stats))
            {
                stats = new QueueStatistics(iface, queue);
                byKey.Add((iface, queue), stats);
            }

            return stats;
        }

        foreach (QueueWorker worker in _runner.Workers)
        {
            QueueStatistics rx = Get(worker.InterfaceName, worker.QueueIndex);
            rx.ReceivedPackets += worker.Received.Packets;
            rx.ReceivedBytes += worker.Received.Bytes;
            AddDrops(rx.ReceiveDrops, worker.Received);
            foreach (EgressTarget? target in worker.Egress)
            {
                if (target is null)
                {
                    continue;
                }

                QueueStatistics tx = Get(target.InterfaceName, target.Queue.Index);
                tx.SentPackets += target.Sent.Packets;
                tx.SentBytes += target.Sent.Bytes;
                AddDrops(tx.SendDrops, target.Sent);
            }
        }

        var list = new List<QueueStatistics>(byKey.Values);
        list.Sort(static (a, b) => a.Interface != b.Interface ? string.CompareOrdinal(a.Interface, b.Interface) : a.Queue.CompareTo(b.Queue));
        return list;
    }

    /// <summary>Totals per stage, summed over every worker.</summary>
    public IReadOnlyList<StageStatistics> SnapshotStages()
    {
        var result = new List<StageStatistics>();
        for (int k = 0; k < _runner.Router.Stages.Count; k++)
        {
            var stats = new StageStatistics(_runner.Router.Stages[k].Name);
            foreach (QueueWorker worker in _runner.Workers)
            {
                StageCounters c = worker.StageCounters[k];
                stats.In += Volatile.Read(ref c.In); // first: see QueueWorker.RunStage
                stats.Forwarded += c.Forwarded;
                stats.ForwardedBytes += c.ForwardedBytes;
                stats.Consumed += c.Consumed;
                stats.Emitted += c.Emitted;
                AddReasons(stats.Dropped, c.Dropped);
                AddReasons(stats.Rejected, c.Rejected);
            }

            result.Add(stats);
        }

        return result;
    }

    private IEnumerable<Measurement<long>> QueueMeasurements(Func<QueueStatistics, long> select)
    {
        foreach (QueueStatistics s in SnapshotQueues())
        {
            yield return new Measurement<long>(select(s), new("interface", s.Interface), new("queue", s.Queue));
        }
    }

    private IEnumerable<Measurement<long>> QueueDropMeasurements()
    {
        foreach (QueueStatistics s in SnapshotQueues())
        {
            foreach (var (reason, count) in s.ReceiveDrops)
            {
                yield return new Measurement<long>(count, new("interface", s.Interface), new("queue", s.Queue), new("path", "receive"), new("reason", reason));
            }

            foreach (var (reason, count) in s.SendDrops)
            {
                yield return new Measurement<long>(count, new("interface", s.Interface), new("queue", s.Queue), new("path", "send"), new("reason", reason));
            }
        }
    }

    private IEnumerable<Measurement<long>> StageMeasurements(Func<StageStatistics, long> select)
    {
        foreach (StageStatistics s in SnapshotStages())
        {
            yield return new Measurement<long>(select(s), new KeyValuePair<string, object?>("stage", s.Name));
        }
    }

    private IEnumerable<Measurement<long>> StagePacketMeasurements()
    {
        foreach (StageStatistics s in SnapshotStages())
        {
            yield return new Measurement<long>(s.In, new("stage", s.Name), new("outcome", "in"));
            yield return new Measurement<long>(s.Forwarded, new("stage", s.Name), new("outcome", "forwarded"));
            yield return new Measurement<long>(s.Consumed, new("stage", s.Name), new("outcome", "consumed"));
            yield return new Measurement<long>(s.Emitted, new("stage", s.Name), new("outcome", "emitted"));
        }
    }

    private IEnumerable<Measurement<long>> StageDropMeasurements()
    {
        foreach (StageStatistics s in SnapshotStages())
        {
            foreach (var (reason, count) in s.Dropped)
            {
                yield return new Measurement<long>(count, new("stage", s.Name), new("verdict", "dropped"), new("reason", reason));
            }

            foreach (var (reason, count) in s.Rejected)
            {
                yield return new Measurement<long>(count, new("stage", s.Name), new("verdict", "rejected"), new("reason", reason));
            }
        }
    }

    private static void AddDrops(Dictionary<string, long> into, TrafficCounters counters)
    {
        if (counters.DropTotal != 0)
        {
            AddReasons(into, counters.Drops);
        }
    }

    private static void AddReasons(Dictionary<string, long> into, long[] counts)
    {
        int registered = DropReason.Count;
        for (int id = 0; id < registered; id++)
        {
            long n = counts[id];
            if (n != 0)
            {
                string name = DropReason.FromId(id).Name;
                into[name] = into.GetValueOrDefault(name) + n;
            }
        }
    }
}

/// <summary>Counters of one interface queue.</summary>
internal sealed class QueueStatistics(string iface, int queue)
{
    public string Interface { get; } = iface;

    public int Queue { get; } = queue;

    public long ReceivedPackets { get; set; }

    public long ReceivedBytes { get; set; }

    public long SentPackets { get; set; }

    public long SentBytes { get; set; }

    public Dictionary<string, long> ReceiveDrops { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> SendDrops { get; } = new(StringComparer.Ordinal);
}

/// <summary>Counters of one stage.</summary>
internal sealed class StageStatistics(string name)
{
    public string Name { get; } = name;

    public long In { get; set; }

    public long Forwarded { get; set; }

    public long ForwardedBytes { get; set; }

    public long Consumed { get; set; }

    public long Emitted { get; set; }

    public Dictionary<string, long> Dropped { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, long> Rejected { get; } = new(StringComparer.Ordinal);
}
