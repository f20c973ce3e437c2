using System.Diagnostics.Metrics;
using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// What the stage reports of itself: its status object for <c>routerhost show</c> (typed: numbers, unix times, arrays;
/// the schema is docs/status.md) and the meters the common WireGuard Prometheus exporters' names are kept for
/// (<c>wireguard_peer_receive_bytes_total</c>, … as mdlayher/wireguard_exporter names them, with <c>device</c> = the
/// stage's name), besides RouterHost's own (handshakes, keepalives, UDP). Both read the same sums, on the caller's
/// thread (the control socket's, the metrics endpoint's), never the data path's.
/// </summary>
internal sealed partial class WireGuardStage
{
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
        writer.WriteBoolean("under_load", _loop?.UnderLoad == true);
        writer.WriteStartObject("handshakes");
        writer.WriteNumber("initiations_sent", total.InitiationsSent);
        writer.WriteNumber("initiations_answered", total.HandshakesAccepted[1]);
        writer.WriteNumber("responses_accepted", total.HandshakesAccepted[2]);
        writer.WriteNumber("cookie_replies_sent", total.CookieRepliesSent);
        writer.WriteNumber("cookies_received", total.HandshakesAccepted[3]);
        writer.WriteEndObject();
        writer.WriteStartObject("keepalives");
        writer.WriteNumber("sent", total.KeepalivesSent);
        writer.WriteNumber("received", total.Keepalives);
        writer.WriteEndObject();
        (long reads, long coalesced, long delivered) = ReceiveTotals();
        writer.WriteStartObject("udp");
        writer.WriteNumber("sent_datagrams", total.UdpDatagramsSent);
        writer.WriteNumber("sent_messages", total.UdpMessagesSent);
        writer.WriteNumber("sent_gso_messages", total.UdpGsoMessagesSent);
        writer.WriteNumber("received_reads", reads);
        writer.WriteNumber("received_gro_reads", coalesced);
        writer.WriteNumber("received_datagrams", delivered);
        writer.WriteEndObject();
        writer.WriteStartObject("drops");
        for (int id = 1; id < DropReason.Count; id++)
        {
            if (total.Drops[id] + total.HandshakeDrops[id] != 0)
            {
                writer.WriteNumber(DropReason.FromId(id).Name, total.Drops[id] + total.HandshakeDrops[id]);
            }
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

    /// <summary>The peer's allowed IPs as configured (canonical prefixes).</summary>
    private IReadOnlyList<string> AllowedIPs(WireGuardPeer peer)
        => peer.Configuration.AllowedIPs;

    /// <summary>
    /// The exporter-compatible meters (names as mdlayher/wireguard_exporter's, labels <c>device</c> and
    /// <c>public_key</c>) and RouterHost's handshake, keepalive and UDP counters, on the stage's meter.
    /// </summary>
    private void CreateStatusInstruments()
    {
        _meter.CreateObservableGauge("wireguard_device_info", () => new Measurement<int>(1, Label("device", Name), Label("public_key", WireGuardKey.Format(Local.PublicKey))), description: "Metadata about a device (a WireGuard stage).");
        _meter.CreateObservableGauge("wireguard_peer_info", MeasurePeerInfo, description: "Metadata about a peer. The public_key label on peer metrics refers to the peer's public key; not the device's public key.");
        _meter.CreateObservableGauge("wireguard_peer_allowed_ips_info", MeasureAllowedIPs, description: "Metadata about each of a peer's allowed IP subnets for a given device.");
        _meter.CreateObservableCounter("wireguard_peer_receive_bytes_total", () => MeasurePeerTotals(static c => c.RxBytes), description: "Number of bytes received from a given peer.");
        _meter.CreateObservableCounter("wireguard_peer_transmit_bytes_total", () => MeasurePeerTotals(static c => c.TxBytes), description: "Number of bytes transmitted to a given peer.");
        _meter.CreateObservableGauge("wireguard_peer_last_handshake_seconds", MeasureLastHandshakes, description: "UNIX timestamp for the last handshake with a given peer (0: never).");
        _meter.CreateObservableCounter("routerhost.wireguard.handshakes", MeasureHandshakes, "{message}", "Handshake messages by kind: initiations sent and answered, responses accepted, cookie replies sent and received");
        _meter.CreateObservableCounter("routerhost.wireguard.keepalives", MeasureKeepalives, "{message}", "Keepalives sent and received");
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

    private IEnumerable<Measurement<long>> MeasurePeerTotals(Func<WireGuardCounters, long[]> select)
    {
        long[] values = select(Sum());
        foreach (WireGuardPeer peer in Peers)
        {
            yield return new Measurement<long>(values[peer.Index], Label("device", Name), Label("public_key", WireGuardKey.Format(peer.Identity.PublicKey)));
        }
    }

    private IEnumerable<Measurement<long>> MeasureLastHandshakes()
    {
        foreach (WireGuardPeer peer in Peers)
        {
            yield return new Measurement<long>(Volatile.Read(ref peer.LatestHandshakeUnixMs) / 1000, Label("device", Name), Label("public_key", WireGuardKey.Format(peer.Identity.PublicKey)));
        }
    }

    private IEnumerable<Measurement<long>> MeasureHandshakes()
    {
        WireGuardCounters total = Sum();
        yield return new Measurement<long>(total.InitiationsSent, Label("stage", Name), Label("kind", "initiations_sent"));
        yield return new Measurement<long>(total.HandshakesAccepted[1], Label("stage", Name), Label("kind", "initiations_answered"));
        yield return new Measurement<long>(total.HandshakesAccepted[2], Label("stage", Name), Label("kind", "responses_accepted"));
        yield return new Measurement<long>(total.CookieRepliesSent, Label("stage", Name), Label("kind", "cookie_replies_sent"));
        yield return new Measurement<long>(total.HandshakesAccepted[3], Label("stage", Name), Label("kind", "cookies_received"));
    }

    private IEnumerable<Measurement<long>> MeasureKeepalives()
    {
        WireGuardCounters total = Sum();
        yield return new Measurement<long>(total.KeepalivesSent, Label("stage", Name), Label("direction", "sent"));
        yield return new Measurement<long>(total.Keepalives, Label("stage", Name), Label("direction", "received"));
    }

    private IEnumerable<Measurement<long>> MeasureUdp()
    {
        WireGuardCounters total = Sum();
        (_, _, long delivered) = ReceiveTotals();
        yield return new Measurement<long>(total.UdpDatagramsSent, Label("stage", Name), Label("direction", "sent"));
        yield return new Measurement<long>(delivered, Label("stage", Name), Label("direction", "received"));
    }
}
