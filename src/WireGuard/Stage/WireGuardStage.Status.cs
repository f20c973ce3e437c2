using System.Diagnostics.Metrics;
using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// What the stage counts and reports of itself: each thread's counters and their one sum, its status object for
/// <c>routerhost show</c> (typed: numbers, unix times, arrays; the schema is docs/status.md) and the meters the common
/// WireGuard Prometheus exporters' names are kept for (<c>wireguard_peer_receive_bytes_total</c>, … as
/// mdlayher/wireguard_exporter names them, with <c>device</c> = the stage's name), besides RouterHost's own (handshakes,
/// keepalives, UDP). Both read the same sums, on the caller's thread (the control socket's, the metrics endpoint's),
/// never the data path's.
/// </summary>
internal sealed partial class WireGuardStage
{
    private readonly List<WireGuardCounters> _counters = [];
    private readonly Lock _countersLock = new();

    /// <summary>A thread's own counters (each worker and the handshake thread take one; only that thread writes them).</summary>
    public WireGuardCounters RegisterCounters()
    {
        // Room for peers added later, so a thread rarely grows its arrays.
        var counters = new WireGuardCounters(Math.Max(16, 2 * Volatile.Read(ref _nextSlot)));
        lock (_countersLock)
        {
            _counters.Add(counters);
        }

        return counters;
    }

    /// <summary>Every thread's counters summed (for status, metrics, the UAPI and tests): the one place they are added up.</summary>
    public WireGuardCounters Sum()
    {
        var total = new WireGuardCounters(Volatile.Read(ref _nextSlot));
        lock (_countersLock)
        {
            foreach (WireGuardCounters c in _counters)
            {
                c.AddTo(total);
            }
        }

        return total;
    }

    /// <summary>Datagrams (reads) the sockets delivered, how many of them were GRO-coalesced, and the packets they split into.</summary>
    public (long Reads, long Coalesced, long Delivered) ReceiveTotals()
    {
        long reads = 0, coalesced = 0, delivered = 0;
        foreach (UdpReceiveQueue source in _sources)
        {
            reads += source.DatagramsReceived;
            coalesced += source.CoalescedDatagrams;
            delivered += source.PacketsDelivered;
        }

        return (reads, coalesced, delivered);
    }

    /// <summary>The longest time any datagram waited in one of the sockets' receive buffers (kernel timestamps), in ns.</summary>
    public long MaxSojournNs()
    {
        long max = 0;
        foreach (UdpReceiveQueue source in _sources)
        {
            max = Math.Max(max, source.MaxSojournNs);
        }

        return max;
    }

    /// <summary>Writes the typed status object (docs/status.md, "WireGuard").</summary>
    public void WriteStatus(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        WireGuardCounters total = Sum();
        writer.WriteStartObject();
        writer.WriteString("public_key", WireGuardKey.Format(Local.PublicKey));
        writer.WriteStartArray("restart_pending");
        foreach (string key in RestartPending)
        {
            writer.WriteStringValue(key);
        }

        writer.WriteEndArray();
        writer.WriteNumber("listen_port", ListenPort);
        writer.WriteNumber("fwmark", FirewallMark);
        writer.WriteStartArray("sockets");
        foreach (UdpSocket socket in Sockets.All)
        {
            writer.WriteStartObject();
            writer.WriteString("address", socket.LocalEndpoint.ToString());
            writer.WriteBoolean("gro", socket.GroEnabled);
            writer.WriteBoolean("gso", socket.GsoEnabled);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteBoolean("under_load", UnderLoad);
        WriteCounts(writer, "handshakes", HandshakeKinds, total);
        WriteCounts(writer, "keepalives", KeepaliveDirections, total);
        (long reads, long coalesced, long delivered) = ReceiveTotals();
        writer.WriteStartObject("udp");
        writer.WriteNumber("sent_datagrams", total.UdpDatagramsSent);
        writer.WriteNumber("sent_messages", total.UdpMessagesSent);
        writer.WriteNumber("sent_gso_messages", total.UdpGsoMessagesSent);
        writer.WriteNumber("received_reads", reads);
        writer.WriteNumber("received_gro_reads", coalesced);
        writer.WriteNumber("received_datagrams", delivered);
        writer.WriteNumber("sparse_first_flushes", total.SparseFlushes);
        writer.WriteEndObject();
        writer.WriteStartObject("aqm");
        writer.WriteBoolean("enabled", Aqm.Enabled);
        writer.WriteNumber("target_us", (long)Aqm.Target.TotalMicroseconds);
        writer.WriteNumber("interval_us", (long)Aqm.Interval.TotalMicroseconds);
        writer.WriteNumber("marked", total.AqmMarked);
        writer.WriteNumber("dropped", total.AqmDropped);
        writer.WriteNumber("max_sojourn_us", MaxSojournNs() / 1000);
        writer.WriteEndObject();
        writer.WriteStartObject("drops");
        foreach ((string reason, long count) in DropsByReason(total))
        {
            writer.WriteNumber(reason, count);
        }

        writer.WriteEndObject();
        writer.WriteStartArray("peers");
        foreach (WireGuardPeer peer in Peers)
        {
            writer.WriteStartObject();
            writer.WriteString("public_key", WireGuardKey.Format(peer.Identity.PublicKey));
            writer.WriteString("name", peer.Name);
            writer.WriteString("source", SourceOf(peer) switch { PeerSource.Uapi => "uapi", PeerSource.ConfigChangedByUapi => "config+uapi", _ => "config" });
            if (peer.Endpoint is { } endpoint)
            {
                writer.WriteString("endpoint", endpoint.ToString());
            }
            else
            {
                writer.WriteNull("endpoint");
            }

            writer.WriteStartArray("allowed_ips");
            foreach (string prefix in AllowedIPs(peer))
            {
                writer.WriteStringValue(prefix);
            }

            writer.WriteEndArray();
            writer.WriteNumber("latest_handshake_unix", Volatile.Read(ref peer.LatestHandshakeUnixMs) / 1000);
            writer.WriteNumber("rx_bytes", total.RxBytes[peer.Index]);
            writer.WriteNumber("tx_bytes", total.TxBytes[peer.Index]);
            writer.WriteNumber("rx_packets", total.RxPackets[peer.Index]);
            writer.WriteNumber("tx_packets", total.TxPackets[peer.Index]);
            writer.WriteBoolean("preshared_key", peer.Identity.HasPresharedKey);
            writer.WriteNumber("persistent_keepalive_seconds", peer.PersistentKeepaliveMs / 1000);
            writer.WriteNumber("staged", peer.Staged.Count);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The handshake counts by kind: the status object's names are the metric's <c>kind</c> labels.</summary>
    private static readonly (string Name, Func<WireGuardCounters, long> Read)[] HandshakeKinds =
    [
        ("initiations_sent", static c => c.InitiationsSent),
        ("initiations_answered", static c => c.HandshakesAccepted[(int)MessageType.Initiation]),
        ("responses_accepted", static c => c.HandshakesAccepted[(int)MessageType.Response]),
        ("cookie_replies_sent", static c => c.CookieRepliesSent),
        ("cookies_received", static c => c.HandshakesAccepted[(int)MessageType.CookieReply]),
        ("initiation_retries", static c => c.InitiationRetries),
        ("crossed_reinitiations", static c => c.CrossedReinitiations),
    ];

    /// <summary>The keepalive counts by direction: the status object's names are the metric's <c>direction</c> labels.</summary>
    private static readonly (string Name, Func<WireGuardCounters, long> Read)[] KeepaliveDirections =
    [
        ("sent", static c => c.KeepalivesSent),
        ("received", static c => c.Keepalives),
    ];

    private static void WriteCounts(Utf8JsonWriter writer, string name, (string Name, Func<WireGuardCounters, long> Read)[] counts, WireGuardCounters total)
    {
        writer.WriteStartObject(name);
        foreach ((string key, Func<WireGuardCounters, long> read) in counts)
        {
            writer.WriteNumber(key, read(total));
        }

        writer.WriteEndObject();
    }

    /// <summary>The drop reasons with a count (both kinds together), in reason order.</summary>
    private static IEnumerable<(string Reason, long Count)> DropsByReason(WireGuardCounters total)
    {
        for (int id = 1; id < DropReason.Count; id++)
        {
            long count = total.Dropped(id);
            if (count != 0)
            {
                yield return (DropReason.FromId(id).Name, count);
            }
        }
    }

    /// <summary>The peer's allowed IPs as configured (canonical prefixes).</summary>
    private IReadOnlyList<string> AllowedIPs(WireGuardPeer peer)
        => peer.Configuration.AllowedIPs;

    /// <summary>
    /// Every meter of the stage: RouterHost's own (per-peer bytes, drops, under load, handshakes, keepalives, UDP) and
    /// the exporter-compatible ones (names as mdlayher/wireguard_exporter's, labels <c>device</c> and <c>public_key</c>).
    /// </summary>
    private void CreateStatusInstruments()
    {
        _meter.CreateObservableCounter("routerhost.wireguard.peer.received.bytes", () => MeasurePeers(static c => c.RxBytes, exporterLabels: false), "By", "Bytes received from a peer (UDP payload)");
        _meter.CreateObservableCounter("routerhost.wireguard.peer.sent.bytes", () => MeasurePeers(static c => c.TxBytes, exporterLabels: false), "By", "Bytes sent to a peer (UDP payload)");
        _meter.CreateObservableCounter("routerhost.wireguard.dropped", MeasureDrops, description: "Drops after the chain's accounting (send failures, handshake messages refused), by reason");
        _meter.CreateObservableGauge("routerhost.wireguard.under_load", () => new Measurement<int>(UnderLoad ? 1 : 0, Label("stage", Name)), description: "1 while handshakes are answered with cookies (under load)");
        _meter.CreateObservableGauge("wireguard_device_info", () => new Measurement<int>(1, Label("device", Name), Label("public_key", WireGuardKey.Format(Local.PublicKey))), description: "Metadata about a device (a WireGuard stage).");
        _meter.CreateObservableGauge("wireguard_peer_info", MeasurePeerInfo, description: "Metadata about a peer. The public_key label on peer metrics refers to the peer's public key; not the device's public key.");
        _meter.CreateObservableGauge("wireguard_peer_allowed_ips_info", MeasureAllowedIPs, description: "Metadata about each of a peer's allowed IP subnets for a given device.");
        _meter.CreateObservableCounter("wireguard_peer_receive_bytes_total", () => MeasurePeers(static c => c.RxBytes, exporterLabels: true), description: "Number of bytes received from a given peer.");
        _meter.CreateObservableCounter("wireguard_peer_transmit_bytes_total", () => MeasurePeers(static c => c.TxBytes, exporterLabels: true), description: "Number of bytes transmitted to a given peer.");
        _meter.CreateObservableGauge("wireguard_peer_last_handshake_seconds", MeasureLastHandshakes, description: "UNIX timestamp for the last handshake with a given peer (0: never).");
        _meter.CreateObservableCounter("routerhost.wireguard.handshakes", () => MeasureCounts(HandshakeKinds, "kind"), "{message}", "Handshake messages by kind: initiations sent and answered, responses accepted, cookie replies sent and received");
        _meter.CreateObservableCounter("routerhost.wireguard.keepalives", () => MeasureCounts(KeepaliveDirections, "direction"), "{message}", "Keepalives sent and received");
        _meter.CreateObservableCounter("routerhost.wireguard.udp.datagrams", MeasureUdp, "{datagram}", "UDP datagrams sent and received by the stage's sockets");
    }

    private static KeyValuePair<string, object?> Label(string name, object? value) => new(name, value);

    private IEnumerable<Measurement<int>> MeasurePeerInfo()
    {
        foreach (WireGuardPeer peer in Peers)
        {
            yield return new Measurement<int>(1, Label("device", Name), Label("public_key", WireGuardKey.Format(peer.Identity.PublicKey)), Label("name", peer.Name), Label("endpoint", peer.Endpoint?.ToString() ?? string.Empty));
        }
    }

    private IEnumerable<Measurement<int>> MeasureAllowedIPs()
    {
        foreach (WireGuardPeer peer in Peers)
        {
            foreach (string prefix in AllowedIPs(peer))
            {
                yield return new Measurement<int>(1, Label("device", Name), Label("public_key", WireGuardKey.Format(peer.Identity.PublicKey)), Label("allowed_ips", prefix));
            }
        }
    }

    /// <summary>
    /// A per-peer count: labelled <c>device</c> and <c>public_key</c> for the exporter-compatible meters, else
    /// <c>stage</c> and <c>peer</c> (its name) as RouterHost's own.
    /// </summary>
    private IEnumerable<Measurement<long>> MeasurePeers(Func<WireGuardCounters, long[]> select, bool exporterLabels)
    {
        long[] values = select(Sum());
        foreach (WireGuardPeer peer in Peers)
        {
            yield return exporterLabels
                ? new Measurement<long>(values[peer.Index], Label("device", Name), Label("public_key", WireGuardKey.Format(peer.Identity.PublicKey)))
                : new Measurement<long>(values[peer.Index], Label("stage", Name), Label("peer", peer.Name));
        }
    }

    private IEnumerable<Measurement<long>> MeasureLastHandshakes()
    {
        foreach (WireGuardPeer peer in Peers)
        {
            yield return new Measurement<long>(Volatile.Read(ref peer.LatestHandshakeUnixMs) / 1000, Label("device", Name), Label("public_key", WireGuardKey.Format(peer.Identity.PublicKey)));
        }
    }

    private IEnumerable<Measurement<long>> MeasureCounts((string Name, Func<WireGuardCounters, long> Read)[] counts, string label)
    {
        WireGuardCounters total = Sum();
        foreach ((string name, Func<WireGuardCounters, long> read) in counts)
        {
            yield return new Measurement<long>(read(total), Label("stage", Name), Label(label, name));
        }
    }

    private IEnumerable<Measurement<long>> MeasureDrops()
    {
        foreach ((string reason, long count) in DropsByReason(Sum()))
        {
            yield return new Measurement<long>(count, Label("stage", Name), Label("reason", reason));
        }
    }

    private IEnumerable<Measurement<long>> MeasureUdp()
    {
        WireGuardCounters total = Sum();
        (_, _, long delivered) = ReceiveTotals();
        yield return new Measurement<long>(total.UdpDatagramsSent, Label("stage", Name), Label("direction", "sent"));
        yield return new Measurement<long>(delivered, Label("stage", Name), Label("direction", "received"));
    }
}
