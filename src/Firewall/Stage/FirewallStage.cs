using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Abstractions.Status;
using RouterHost.Packets;
using RouterHost.Settings;

namespace RouterHost.Firewall.Stage;

/// <summary>
/// The Firewall stage: the current <see cref="FirewallSnapshot"/> (swapped whole on reload), the connection table
/// and the reject rate limit its workers share, and the router's route resolver for rules that name an egress
/// before routing has run.
/// </summary>
internal sealed partial class FirewallStage : IStage, IReconfigurableStage, IStatusReporter
{
    // The "event" tag of each count MeasureConntrack reports, in its order.
    private static readonly string[] s_events = ["insert", "eviction", "expiration", "removal", "insert_failure", "hit", "miss"];

    private readonly string _name;
    private readonly IStageServices _services;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly ConntrackOptions _conntrackOptions;
    private readonly StageSnapshots<FirewallSettings, FirewallSnapshot> _snapshots;
    private FirewallSnapshot? _snapshot;
    private TokenBucket _rejectLimit;

    public FirewallStage(StageContext context, FirewallSettings settings)
    {
        _name = context.Name;
        _services = context.Services;
        _logger = context.LoggerFactory.CreateLogger("RouterHost.Firewall");
        _conntrackOptions = settings.Conntrack;
        Conntrack = new ConntrackTable(settings.Conntrack);
        _rejectLimit = new TokenBucket(settings.RejectPerSecond, settings.RejectBurst);
        _meter = new Meter("RouterHost.Firewall");
        _meter.CreateObservableGauge("routerhost.firewall.conntrack.entries", () => new Measurement<long>(Conntrack.GetCounters().Entries, new KeyValuePair<string, object?>("stage", _name)), description: "Connections tracked now");
        _meter.CreateObservableCounter("routerhost.firewall.conntrack.events", MeasureConntrack, description: "Connection table events by kind");
        _snapshots = new(
            _name,
            settings,
            FirewallSnapshot.Build,
            snapshot => Volatile.Write(ref _snapshot, snapshot),
            (owner, problem) => Log.PortsChangeRefused(_logger, _name, owner, problem.Path, problem.Message));
    }

    public ConntrackTable Conntrack { get; }

    /// <summary>The route resolver for rules naming an egress, when a routing stage publishes one.</summary>
    public IRouteResolver? Routes { get; private set; }

    internal FirewallSnapshot? Snapshot => Volatile.Read(ref _snapshot);

    internal TokenBucket RejectLimit => Volatile.Read(ref _rejectLimit);

    public void Start(IPortRegistry ports) => _snapshots.Start(ports, snapshot =>
    {
        Routes = _services.TryGet(out IRouteResolver? resolver) ? resolver : null;
        if (snapshot.UsesEgress && Routes is null)
        {
            Log.NoResolver(_logger, _name);
        }

        Volatile.Write(ref _snapshot, snapshot);
        Log.Installed(_logger, _name, snapshot.Outbound.Rules.Count, snapshot.Inbound.Rules.Count, snapshot.Settings.Defaults.Outbound, snapshot.Settings.Defaults.Inbound);
    });

    public IReadOnlyList<ConfigurationProblem> Reconfigure(IConfigurationSection settings, IPortRegistry ports) =>
        _snapshots.Reconfigure(settings, ports, FirewallSettings.Parse, Apply);

    public IStageWorker CreateWorker(int lane) => new FirewallWorker(this);

    public void Dispose()
    {
        _snapshots.Dispose();
        _meter.Dispose();
    }

    private void Apply(FirewallSettings previous, FirewallSettings parsed, FirewallSnapshot snapshot)
    {
        if (parsed.Conntrack != _conntrackOptions)
        {
            Log.ConntrackNeedsRestart(_logger, _name);
        }

        if (parsed.RejectPerSecond != previous.RejectPerSecond || parsed.RejectBurst != previous.RejectBurst)
        {
            Volatile.Write(ref _rejectLimit, new TokenBucket(parsed.RejectPerSecond, parsed.RejectBurst));
        }

        Volatile.Write(ref _snapshot, snapshot);

        // Connections the new rules would not accept lose their entry: their next packet meets the new rules.
        int removed = Conntrack.Revalidate(flow => snapshot.For(flow.Direction).Evaluate(flow.Original, flow.Direction).Action == RuleAction.Accept);
        Log.Reloaded(_logger, _name, snapshot.Outbound.Rules.Count, snapshot.Inbound.Rules.Count, removed);
    }

    public void WriteStatus(System.Text.Json.Utf8JsonWriter writer)
    {
        FirewallSnapshot? snapshot = Snapshot;
        ConntrackCounters c = Conntrack.GetCounters();
        writer.WriteStartObject();
        writer.WriteNumber("outbound_rules", snapshot?.Outbound.Rules.Count ?? 0);
        writer.WriteNumber("inbound_rules", snapshot?.Inbound.Rules.Count ?? 0);
        writer.WriteStartObject("default_policy");
        FirewallDefaults defaults = _snapshots.Settings.Defaults;
        writer.WriteString("outbound", defaults.Outbound.ToString().ToLowerInvariant());
        writer.WriteString("inbound", defaults.Inbound.ToString().ToLowerInvariant());
        writer.WriteEndObject();
        writer.WriteNumber("connections", c.Entries);
        writer.WriteNumber("connection_capacity", Conntrack.Capacity);
        writer.WriteStartObject("connection_events");
        writer.WriteNumber("inserted", c.Inserts);
        writer.WriteNumber("expired", c.Expirations);
        writer.WriteNumber("evicted", c.Evictions);
        writer.WriteNumber("removed_by_reload", c.Removals);
        writer.WriteNumber("refused_full", c.InsertFailures);
        writer.WriteEndObject();
        writer.WriteStartObject("connection_lookups");
        writer.WriteNumber("hits", c.Hits);
        writer.WriteNumber("misses", c.Misses);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private Measurement<long>[] MeasureConntrack()
    {
        ConntrackCounters c = Conntrack.GetCounters();
        return StageMetrics.Tagged(_name, "event", [c.Inserts, c.Evictions, c.Expirations, c.Removals, c.InsertFailures, c.Hits, c.Misses], s_events);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 800, Level = LogLevel.Error, Message = "Firewall stage '{Stage}': the peers of '{Owner}' changed, but the rules no longer fit: {Path}: {Problem}; keeping the last rules until the configuration is fixed")]
        public static partial void PortsChangeRefused(ILogger logger, string stage, string owner, string path, string problem);

        [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "Firewall stage '{Stage}': {Outbound} outbound and {Inbound} inbound rules; default outbound {DefaultOutbound}, inbound {DefaultInbound}")]
        public static partial void Installed(ILogger logger, string stage, int outbound, int inbound, RuleAction defaultOutbound, RuleAction defaultInbound);

        [LoggerMessage(EventId = 802, Level = LogLevel.Information, Message = "Firewall stage '{Stage}' reloaded: {Outbound} outbound and {Inbound} inbound rules; {Removed} tracked connections the new rules refuse were removed")]
        public static partial void Reloaded(ILogger logger, string stage, int outbound, int inbound, int removed);

        [LoggerMessage(EventId = 803, Level = LogLevel.Warning, Message = "Firewall stage '{Stage}': rules name an egress (To) but no routing stage publishes routes, so packets not yet routed when they reach the firewall match no such rule")]
        public static partial void NoResolver(ILogger logger, string stage);

        [LoggerMessage(EventId = 804, Level = LogLevel.Warning, Message = "Firewall stage '{Stage}': Conntrack settings changed; they take effect when the router restarts")]
        public static partial void ConntrackNeedsRestart(ILogger logger, string stage);
    }
}
