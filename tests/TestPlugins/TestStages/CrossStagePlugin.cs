using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.TestStages;

/// <summary>
/// "Cross": packets from port <c>A</c> go to port <c>B</c> and the other way round — a two-port router without a
/// routing table. It records what it saw in <see cref="AppContext"/> data under
/// <c>RouterHost.TestStages.Cross/{Exchange}</c> (a <see cref="ConcurrentDictionary{TKey,TValue}"/> of counters:
/// packets, superpackets by GSO type, largest segment and header lengths), so tests can assert on offload
/// metadata without sharing types across load contexts.
/// </summary>
[RouterHostPlugin("Cross", Description = "Sends packets from A to B and from B to A")]
public sealed class CrossStagePlugin : IStagePlugin
{
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        foreach (string key in new[] { "A", "B" })
        {
            if (string.IsNullOrWhiteSpace(settings[key]))
            {
                problems.Add(new($"{settings.Path}:{key}", "is missing: name a port"));
            }
        }

        return problems;
    }

    public IStage Create(StageContext context)
    {
        var stats = new ConcurrentDictionary<string, long>();
        AppContext.SetData($"RouterHost.TestStages.Cross/{context.Settings["Exchange"] ?? "default"}", stats);
        return new CrossStage(context.Settings["A"]!, context.Settings["B"]!, stats);
    }

    private sealed class CrossStage(string a, string b, ConcurrentDictionary<string, long> stats) : IStage
    {
        private PortId _a;
        private PortId _b;

        public void Start(IPortRegistry ports)
        {
            _a = ports.TryFind(a, out PortInfo? pa) ? pa.Id : throw new InvalidOperationException($"no port '{a}'");
            _b = ports.TryFind(b, out PortInfo? pb) ? pb.Id : throw new InvalidOperationException($"no port '{b}'");
        }

        public IStageWorker CreateWorker(int lane) => new Worker(_a, _b, stats);

        public void Dispose()
        {
        }
    }

    private sealed class Worker(PortId a, PortId b, ConcurrentDictionary<string, long> stats) : IStageWorker
    {
        public void Process(PacketBatch batch)
        {
            Span<Packet> packets = batch.AsSpan();
            for (int i = 0; i < packets.Length; i++)
            {
                ref Packet p = ref packets[i];
                p.Egress = p.Ingress == a ? b : p.Ingress == b ? a : PortId.None;
                if (p.Gso.IsSuperpacket)
                {
                    string from = p.Ingress == a ? "A" : "B";
                    stats.AddOrUpdate($"{from}.superpackets.{p.Gso.Type}", 1, (_, v) => v + 1);
                    long segmentSize = p.Gso.SegmentSize;
                    long headerLength = p.Gso.HeaderLength;
                    long length = p.Length;
                    stats.AddOrUpdate($"{from}.max_segment_size", segmentSize, (_, v) => Math.Max(v, segmentSize));
                    stats.AddOrUpdate($"{from}.max_header_length", headerLength, (_, v) => Math.Max(v, headerLength));
                    stats.AddOrUpdate($"{from}.max_superpacket_length", length, (_, v) => Math.Max(v, length));
                    stats.AddOrUpdate($"{from}.min_header_length", headerLength, (_, v) => Math.Min(v, headerLength));
                    if (!p.Gso.NeedsChecksum)
                    {
                        stats.AddOrUpdate($"{from}.superpackets_without_needs_csum", 1, (_, v) => v + 1);
                    }
                }
            }

            long count = packets.Length;
            stats.AddOrUpdate("packets", count, (_, v) => v + count);
        }

        public void Dispose()
        {
        }
    }
}
