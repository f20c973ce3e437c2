using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Abstractions.Status;
using RouterHost.Packets;
using RouterHost.Settings;

namespace RouterHost.Routing.Stage;

/// <summary>
/// The Routing stage: holds the current <see cref="RoutingSnapshot"/> (swapped whole on reload), the ICMP error
/// rate limit shared by its workers, and the workers' counters. It publishes itself as the router's
/// <see cref="IRouteResolver"/>, and its <see cref="NextHops"/> (kept for its lifetime, so next-hop ids survive
/// reloads) as the router's <see cref="INextHopTable"/>.
/// </summary>
internal sealed partial class RoutingStage : IStage, IReconfigurableStage, IRouteResolver, IStatusReporter
{
    // The "outcome" tag of each count, by RoutingCounters.Kind.
    private static readonly string[] s_outcomes =
    [
        "time_exceeded_sent", "unreachable_sent", "rate_limited", "no_source_address", "not_allowed", "no_room",
        "too_big_sent", "echo_reply_sent", "fragmented", "fragments_made",
    ];

    private readonly string _name;
    private readonly ILogger _logger;
    private readonly List<RoutingWorker> _workers = [];
    private readonly Lock _workersLock = new();
    private readonly Meter _meter;
    private readonly StageSnapshots<RoutingSettings, RoutingSnapshot> _snapshots;
    private RoutingSnapshot? _snapshot;
    private TokenBucket _icmpLimit;

    public RoutingStage(string name, RoutingSettings settings, ILoggerFactory loggerFactory)
    {
        _name = name;
        _logger = loggerFactory.CreateLogger("RouterHost.Routing");
        _icmpLimit = new TokenBucket(settings.IcmpPerSecond, settings.IcmpBurst);
        _meter = new Meter("RouterHost.Routing");
        _meter.CreateObservableCounter("routerhost.routing.icmp_errors", Measure, description: "ICMP errors the routing stage sent or did not send, by outcome");
        _snapshots = new(
            name,
            settings,
            (parsed, ports, problems) => RoutingSnapshot.Build(parsed, ports, problems, NextHops),
            Install,
            (owner, problem) => Log.PortsChangeRefused(_logger, _name, owner, problem.Path, problem.Message));
    }

    /// <summary>Every gateway the routes have named, by the id packets carry in <see cref="Packet.NextHop"/>.</summary>
    public NextHopTable NextHops { get; } = new();

    /// <summary>The snapshot workers read (null before <see cref="Start"/>).</summary>
    internal RoutingSnapshot? Snapshot => Volatile.Read(ref _snapshot);

    internal TokenBucket IcmpLimit => Volatile.Read(ref _icmpLimit);

    public void Start(IPortRegistry ports) => _snapshots.Start(ports, snapshot =>
    {
        Install(snapshot);
        foreach (MtuMismatch mismatch in MtuMismatch.Find(ports.Ports))
        {
            Log.LargerThanTunnel(_logger, _name, mismatch.Interface, mismatch.InterfaceMtu, mismatch.Tunnel, mismatch.TunnelMtu);
        }
    });

    public IReadOnlyList<ConfigurationProblem> Reconfigure(IConfigurationSection settings, IPortRegistry ports) =>
        _snapshots.Reconfigure(settings, ports, RoutingSettings.Parse, (previous, parsed, snapshot) =>
        {
            if (parsed.IcmpPerSecond != previous.IcmpPerSecond || parsed.IcmpBurst != previous.IcmpBurst)
            {
                Volatile.Write(ref _icmpLimit, new TokenBucket(parsed.IcmpPerSecond, parsed.IcmpBurst));
            }

            Install(snapshot);
        });

    public bool TryResolve(ReadOnlySpan<byte> destination, uint flowHash, out PortId egress)
    {
        RoutingSnapshot? snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && snapshot.Table.TryLookup(destination, flowHash, out RouteTarget target))
        {
            egress = target.Port;
            return true;
        }

        egress = PortId.None;
        return false;
    }

    public IStageWorker CreateWorker(int lane)
    {
        var worker = new RoutingWorker(this);
        lock (_workersLock)
        {
            _workers.Add(worker);
        }

        return worker;
    }

    /// <summary>The workers' counters, summed.</summary>
    public RoutingCounters GetCounters()
    {
        Span<long> counts = stackalloc long[RoutingCounters.KindCount];
        SumCounts(counts);
        return RoutingCounters.FromCounts(counts);
    }

    private void SumCounts(Span<long> sums)
    {
        lock (_workersLock)
        {
            foreach (RoutingWorker w in _workers)
            {
                for (int i = 0; i < sums.Length; i++)
                {
                    sums[i] += Volatile.Read(ref w.Counts[i]);
                }
            }
        }
    }

    public void Dispose()
    {
        _snapshots.Dispose();
        _meter.Dispose();
    }

    public void WriteStatus(System.Text.Json.Utf8JsonWriter writer)
    {
        RoutingSnapshot? snapshot = Snapshot;
        RoutingCounters c = GetCounters();
        writer.WriteStartObject();
        writer.WriteNumber("routes", snapshot?.Table.RouteCount ?? 0);
        writer.WriteNumber("prefixes", snapshot?.Table.PrefixCount ?? 0);
        writer.WriteNumber("allowed_peer_prefixes", snapshot?.Allowed.Count ?? 0);
        writer.WriteNumber("table_bytes", snapshot?.Table.EstimatedBytes ?? 0);
        writer.WriteStartObject("icmp_source");
        WriteAddress(writer, "ipv4", snapshot?.IcmpSource4);
        WriteAddress(writer, "ipv6", snapshot?.IcmpSource6);
        writer.WriteEndObject();
        writer.WriteStartArray("local_addresses");
        foreach (System.Net.IPAddress address in snapshot?.LocalAddresses ?? [])
        {
            writer.WriteStringValue(address.ToString());
        }

        writer.WriteEndArray();
        writer.WriteStartObject("icmp_errors");
        writer.WriteNumber("time_exceeded_sent", c.TimeExceededSent);
        writer.WriteNumber("unreachable_sent", c.UnreachableSent);
        writer.WriteNumber("too_big_sent", c.TooBigSent);
        writer.WriteNumber("rate_limited", c.IcmpRateLimited);
        writer.WriteNumber("no_source_address", c.IcmpNoSourceAddress);
        writer.WriteNumber("not_allowed", c.IcmpNotAllowed);
        writer.WriteNumber("no_room", c.IcmpNoRoom);
        writer.WriteEndObject();
        writer.WriteNumber("echo_replies_sent", c.EchoRepliesSent);
        writer.WriteStartObject("fragmentation");
        writer.WriteNumber("packets_fragmented", c.PacketsFragmented);
        writer.WriteNumber("fragments_made", c.FragmentsMade);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private Measurement<long>[] Measure()
    {
        Span<long> counts = stackalloc long[RoutingCounters.KindCount];
        SumCounts(counts);
        return StageMetrics.Tagged(_name, "outcome", counts, s_outcomes);
    }

    private static void WriteAddress(System.Text.Json.Utf8JsonWriter writer, string name, byte[]? address)
    {
        if (address is { Length: 4 or 16 })
        {
            writer.WriteString(name, new System.Net.IPAddress(address).ToString());
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private void Install(RoutingSnapshot snapshot)
    {
        Volatile.Write(ref _snapshot, snapshot);
        Log.Installed(_logger, _name, snapshot.Table.RouteCount, snapshot.Table.PrefixCount, snapshot.Allowed.Count);
        if (snapshot.Settings.IcmpErrors && (snapshot.IcmpSource4.Length == 0 || snapshot.IcmpSource6.Length == 0))
        {
            Log.NoIcmpSource(_logger, _name, snapshot.IcmpSource4.Length == 0 ? "IPv4" : "IPv6");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 700, Level = LogLevel.Error, Message = "Routing stage '{Stage}': the peers of '{Owner}' changed, but the routes no longer fit: {Path}: {Problem}; keeping the last routing table until the configuration is fixed")]
        public static partial void PortsChangeRefused(ILogger logger, string stage, string owner, string path, string problem);

        [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Routing stage '{Stage}': {Routes} routes over {Prefixes} prefixes, {Allowed} allowed peer prefixes")]
        public static partial void Installed(ILogger logger, string stage, int routes, int prefixes, int allowed);

        [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Routing stage '{Stage}': no IcmpSource:{Family} address is configured and no interface has an address of the router's own, so no {Family} ICMP time-exceeded or unreachable errors are sent (fragmentation-needed / packet-too-big still are, from the original destination)")]
        public static partial void NoIcmpSource(ILogger logger, string stage, string family);

        // More than six placeholders: the generator's own state type names each value after its parameter, so a
        // verbatim parameter (@interface) would name it "@interface" and the placeholder would print unfilled.
        [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "Routing stage '{Stage}': interface '{Interface}' has MTU {InterfaceMtu}, larger than the inner MTU {TunnelMtu} of the peers of '{Tunnel}': packets over {TunnelMtu} bytes routed into the tunnel get ICMP fragmentation-needed / packet-too-big (path MTU discovery; IPv4 without DF is fragmented). Set the interface's Mtu to {TunnelMtu} to avoid the round trip")]
        public static partial void LargerThanTunnel(ILogger logger, string stage, string Interface, int interfaceMtu, string tunnel, int tunnelMtu);
    }
}
