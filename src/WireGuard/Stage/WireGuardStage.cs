using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Linux;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The WireGuard encryption stage: this node's identity, its peers (registered as the router's peer ports with their
/// allowed IPs, which the routing stage turns into routes and the cryptokey check), its UDP sockets (the stage's
/// sources: their datagrams enter the chain here walking inbound), the index table, the handshake queue and the
/// handshake thread. Workers (<see cref="WireGuardWorker"/>) do the per-packet work.
/// </summary>
internal sealed partial class WireGuardStage : IStage, IStageSource, IStatusReporter, IUnderlayMarking
{
    /// <summary>Handshake messages that may wait for the handshake thread.</summary>
    public const int HandshakeQueueCapacity = 1024;

    /// <summary>Headroom and tailroom around each received datagram (room to re-encrypt a decrypted packet in place).</summary>
    public const int ReceiveHeadroom = 64;

    public const int ReceiveTailroom = 64;

    private readonly ILogger _logger;
    private readonly WireGuardSettings _settings;
    private readonly List<UdpSocket> _sockets = [];
    private uint _firewallMark;
    private readonly List<UdpSocket> _v4 = [];
    private readonly List<UdpSocket> _v6 = [];
    private readonly List<UdpReceiveQueue> _sources = [];
    private readonly WireGuardPeer?[] _peerByPortIndex;
    private readonly Dictionary<string, WireGuardPeer> _peersByKey = new(StringComparer.Ordinal);
    private readonly List<WireGuardCounters> _counters = [];
    private readonly Lock _countersLock = new();
    private readonly Meter _meter;
    private HandshakeLoop? _loop;

    private WireGuardStage(string name, WireGuardSettings settings, LocalIdentity local, IReadOnlyList<WireGuardPeer> peers, int batchSize, ILogger logger)
    {
        Name = name;
        _settings = settings;
        Local = local;
        Peers = peers;
        _logger = logger;
        Checker = new CookieChecker(local);
        int max = 0;
        foreach (WireGuardPeer peer in peers)
        {
            max = Math.Max(max, peer.Port.Index + 1);
            _peersByKey[Convert.ToBase64String(peer.Identity.PublicKey)] = peer;
        }

        _peerByPortIndex = new WireGuardPeer?[max];
        foreach (WireGuardPeer peer in peers)
        {
            _peerByPortIndex[peer.Port.Index] = peer;
        }

        BatchSize = batchSize;
        _meter = new Meter("RouterHost.WireGuard");
        _meter.CreateObservableCounter("routerhost.wireguard.peer.received.bytes", () => MeasurePeers(c => c.RxBytes), "By");
        _meter.CreateObservableCounter("routerhost.wireguard.peer.sent.bytes", () => MeasurePeers(c => c.TxBytes), "By");
        _meter.CreateObservableCounter("routerhost.wireguard.dropped", MeasureDrops);
        _meter.CreateObservableGauge("routerhost.wireguard.under_load", () => new Measurement<int>(_loop?.UnderLoad == true ? 1 : 0, new KeyValuePair<string, object?>("stage", Name)));
    }

    public string Name { get; }

    public LocalIdentity Local { get; }

    public IReadOnlyList<WireGuardPeer> Peers { get; }

    public CookieChecker Checker { get; }

    public IndexTable<IndexEntry> Indices { get; } = new();

    public HandshakeQueue Handshakes { get; } = new(HandshakeQueueCapacity);

    /// <summary>Peers whose handshake or staged flush the data path asked for.</summary>
    public ConcurrentQueue<WireGuardPeer> Requests { get; } = new();

    /// <summary>Sessions the data path took out of use (a confirmed responder session replacing the previous one).</summary>
    public ConcurrentQueue<Keypair> Retired { get; } = new();

    public int Mtu => _settings.Mtu;

    /// <summary>The monotonic clock (ms) every timer of the stage reads; tests replace it to drive timers.</summary>
    internal Func<long> Clock { get; set; } = static () => Environment.TickCount64;

    public long Now => Clock();

    public int BatchSize { get; }

    public int ListenPort { get; private set; }

    /// <inheritdoc />
    public uint FirewallMark => Volatile.Read(ref _firewallMark);

    /// <inheritdoc />
    public uint EnsureFirewallMark()
    {
        lock (_sockets)
        {
            if (_firewallMark != 0)
            {
                return _firewallMark;
            }

            // As wg-quick numbers a full tunnel's table 51820: the listen port is this router's alone, so is the mark.
            uint mark = (uint)ListenPort;
            foreach (UdpSocket socket in _sockets)
            {
                socket.SetFirewallMark(mark);
            }

            Volatile.Write(ref _firewallMark, mark);
            Log.FirewallMarkChosen(_logger, Name, mark);
            return mark;
        }
    }

    public IReadOnlyList<IQueue> Sources => _sources;

    /// <summary>Builds the stage: reads keys, registers peers, binds sockets. Throws with a clear message on failure.</summary>
    public static WireGuardStage Create(StageContext context, WireGuardSettings settings, int batchSize)
    {
        ILogger logger = context.LoggerFactory.CreateLogger<WireGuardStage>();
        if (!KeyAgreementAlgorithm.X25519.IsSupported || !AeadAlgorithm.ChaCha20Poly1305.IsSupported)
        {
            throw new InvalidOperationException($"stage '{context.Name}': neither OpenSSL's libcrypto (3.0 or newer) nor libsodium could be loaded: OpenSSL {CryptoLibrary.OpenSslVersion ?? "absent"}, libsodium {CryptoLibrary.SodiumVersion ?? "absent"}");
        }

        var local = new LocalIdentity(KeyAgreementAlgorithm.X25519.ImportPrivateKey(settings.PrivateKey));
        CryptographicOperations.ZeroMemory(settings.PrivateKey);
        var peers = new List<WireGuardPeer>();
        WireGuardStage? stage = null;
        try
        {
            foreach (PeerSettings peer in settings.Peers)
            {
                if (peer.PublicKey.AsSpan().SequenceEqual(local.PublicKey))
                {
                    throw new InvalidOperationException($"{peer.Path}:PublicKey: is this node's own public key");
                }

                if (!RemoteIdentity.TryCreate(local, peer.PublicKey, peer.PresharedKey, out RemoteIdentity? identity))
                {
                    throw new InvalidOperationException($"{peer.Path}:PublicKey: is not a usable public key (it yields no shared secret)");
                }

                CryptographicOperations.ZeroMemory(peer.PresharedKey);
                PeerEndpoint? endpoint = peer.Endpoint is null ? null : new PeerEndpoint(Resolve(peer), UdpEndpoint.None);
                PortInfo port = context.Ports.AddPeer(peer.Name, [.. peer.Groups], context.Name, peer.AllowedIPs, settings.Mtu);
                peers.Add(new WireGuardPeer(peers.Count, port.Id, peer.Name, identity!, endpoint, (long)peer.PersistentKeepalive.TotalMilliseconds));
            }

            stage = new WireGuardStage(context.Name, settings, local, peers, batchSize, logger);
            stage.OpenSockets(context.Settings.Path);
            stage._loop = new HandshakeLoop(stage, logger);
            return stage;
        }
        catch
        {
            if (stage is not null)
            {
                stage.Dispose();
            }
            else
            {
                foreach (WireGuardPeer peer in peers)
                {
                    peer.Dispose();
                }

                local.Dispose();
            }

            throw;
        }
    }

    public void Start(IPortRegistry ports)
    {
        _loop!.Start();
        foreach (WireGuardPeer peer in Peers)
        {
            if (peer.PersistentKeepaliveMs > 0 && peer.Endpoint is not null)
            {
                // As wg does on "up": a peer with persistent keepalive is reached at once (which starts a handshake).
                RequestHandshake(peer);
            }
        }

        Log.Started(_logger, Name, WireGuardKey.Format(Local.PublicKey), ListenPort, _sockets.Count, Peers.Count);
        Log.Crypto(_logger, Name, RouterHost.Crypto.CryptoLibrary.AeadDescription);
    }

    public IStageWorker CreateWorker(int lane) => new WireGuardWorker(this, lane);

    /// <summary>Our peer behind <paramref name="port"/>, or null when the port is not one of ours.</summary>
    public WireGuardPeer? PeerFor(PortId port)
    {
        int index = port.Index;
        return (uint)index < (uint)_peerByPortIndex.Length ? _peerByPortIndex[index] : null;
    }

    /// <summary>The source queue a datagram came from.</summary>
    public UdpReceiveQueue? SourceAt(int index) => (uint)index < (uint)_sources.Count ? _sources[index] : null;

    /// <summary>The socket of one family a lane sends on (lanes spread over the sockets), or null when none.</summary>
    public UdpSocket? SocketFor(int lane, bool ipv6)
    {
        List<UdpSocket> sockets = ipv6 ? _v6 : _v4;
        return sockets.Count == 0 ? null : sockets[lane % sockets.Count];
    }

    public WireGuardPeer? FindPeer(ReadOnlySpan<byte> publicKey) =>
        _peersByKey.TryGetValue(Convert.ToBase64String(publicKey), out WireGuardPeer? peer) ? peer : null;

    public WireGuardCounters RegisterCounters()
    {
        var counters = new WireGuardCounters(Peers.Count);
        lock (_countersLock)
        {
            _counters.Add(counters);
        }

        return counters;
    }

    public void WakeHandshakeThread() => _loop?.Wake();

    /// <summary>Asks the handshake thread for a handshake with <paramref name="peer"/>; true when the thread must be woken.</summary>
    public bool RequestHandshake(WireGuardPeer peer)
    {
        if (!peer.RequestHandshake())
        {
            return false;
        }

        Requests.Enqueue(peer);
        return true;
    }

    /// <summary>
    /// The initiator's first message on a responder session arrived: the session becomes current and what was staged
    /// goes out. Called on the data path, once per handshake.
    /// </summary>
    public bool Confirm(WireGuardPeer peer, Keypair keypair)
    {
        while (true)
        {
            KeypairSet set = peer.Keypairs;
            if (!ReferenceEquals(set.Next, keypair))
            {
                return false;
            }

            if (peer.TrySwapKeypairs(set, new KeypairSet(keypair, set.Current, null)))
            {
                if (set.Previous is not null)
                {
                    Retired.Enqueue(set.Previous);
                }

                if (peer.RequestStagedFlush())
                {
                    Requests.Enqueue(peer);
                }

                return true;
            }
        }
    }

    public void WriteStatus(Utf8JsonWriter writer)
    {
        WireGuardCounters total = Sum();
        writer.WriteStartObject();
        writer.WriteString("public_key", WireGuardKey.Format(Local.PublicKey));
        writer.WriteNumber("listening_port", ListenPort);
        writer.WriteNumber("fwmark", FirewallMark);
        writer.WriteString("sockets", string.Join(", ", _sockets.Select(s => $"{s.LocalEndpoint}{(s.GroEnabled ? " gro" : "")}{(s.GsoEnabled ? " gso" : "")}")));
        writer.WriteBoolean("under_load", _loop?.UnderLoad == true);
        writer.WriteString("handshakes", $"{total.HandshakesAccepted[1]} initiations answered, {total.HandshakesAccepted[2]} responses accepted, {total.InitiationsSent} initiations sent, {total.CookieRepliesSent} cookie replies sent, {total.HandshakesAccepted[3]} cookies received");
        writer.WriteString("keepalives", $"{total.KeepalivesSent} sent, {total.Keepalives} received");
        (long reads, long coalesced, long delivered) = ReceiveTotals();
        writer.WriteString("udp_sent", $"{total.UdpDatagramsSent} datagrams in {total.UdpMessagesSent} messages, {total.UdpGsoMessagesSent} of them GSO");
        writer.WriteString("udp_received", $"{reads} reads, {coalesced} of them coalesced (GRO), {delivered} datagrams");
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
        long nowUnix = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (WireGuardPeer peer in Peers)
        {
            writer.WriteStartObject();
            writer.WriteString("peer", WireGuardKey.Format(peer.Identity.PublicKey));
            writer.WriteString("name", peer.Name);
            writer.WriteString("endpoint", peer.Endpoint?.ToString() ?? "(none)");
            writer.WriteString("allowed_ips", PortPrefixes(peer));
            long latest = Volatile.Read(ref peer.LatestHandshakeUnixMs);
            writer.WriteString("latest_handshake", latest == 0 ? "never" : Ago(nowUnix - latest));
            writer.WriteNumber("latest_handshake_unix", latest / 1000);
            writer.WriteString("transfer", $"{Bytes(total.RxBytes[peer.Index])} received, {Bytes(total.TxBytes[peer.Index])} sent");
            writer.WriteNumber("rx_bytes", total.RxBytes[peer.Index]);
            writer.WriteNumber("tx_bytes", total.TxBytes[peer.Index]);
            writer.WriteBoolean("preshared_key", peer.Identity.HasPresharedKey);
            if (peer.PersistentKeepaliveMs > 0)
            {
                writer.WriteString("persistent_keepalive", $"every {peer.PersistentKeepaliveMs / 1000} seconds");
            }

            writer.WriteNumber("staged", peer.Staged.Count);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Every thread's counters summed (for status and tests).</summary>
    public WireGuardCounters Sum()
    {
        var total = new WireGuardCounters(Peers.Count);
        lock (_countersLock)
        {
            foreach (WireGuardCounters c in _counters)
            {
                for (int i = 0; i < Peers.Count; i++)
                {
                    total.RxBytes[i] += c.RxBytes[i];
                    total.TxBytes[i] += c.TxBytes[i];
                    total.RxPackets[i] += c.RxPackets[i];
                    total.TxPackets[i] += c.TxPackets[i];
                }

                for (int r = 0; r < total.Drops.Length; r++)
                {
                    total.Drops[r] += c.Drops[r];
                    total.HandshakeDrops[r] += c.HandshakeDrops[r];
                }

                for (int t = 0; t < total.HandshakesAccepted.Length; t++)
                {
                    total.HandshakesAccepted[t] += c.HandshakesAccepted[t];
                }

                total.UdpDatagramsSent += c.UdpDatagramsSent;
                total.UdpMessagesSent += c.UdpMessagesSent;
                total.UdpGsoMessagesSent += c.UdpGsoMessagesSent;
                total.TransportsAccepted += c.TransportsAccepted;
                total.HandshakesQueued += c.HandshakesQueued;
                total.HandshakeMessagesHandled += c.HandshakeMessagesHandled;
                total.Keepalives += c.Keepalives;
                total.KeepalivesSent += c.KeepalivesSent;
                total.CookieRepliesSent += c.CookieRepliesSent;
                total.InitiationsSent += c.InitiationsSent;
                total.ResponsesSent += c.ResponsesSent;
                total.StagedSent += c.StagedSent;
            }
        }

        return total;
    }

    public bool UnderLoad => _loop?.UnderLoad == true;

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

    /// <summary>The handshake thread's loop (tests drive <see cref="HandshakeLoop.RunOnce"/> without starting it).</summary>
    internal HandshakeLoop Loop => _loop!;

    public void Dispose()
    {
        _loop?.Dispose();
        foreach (UdpReceiveQueue source in _sources)
        {
            source.Dispose();
        }

        foreach (UdpSocket socket in _sockets)
        {
            socket.Dispose();
        }

        foreach (WireGuardPeer peer in Peers)
        {
            KeypairSet set = peer.Keypairs;
            set.Current?.Dispose();
            set.Previous?.Dispose();
            set.Next?.Dispose();
            peer.Dispose();
        }

        while (Retired.TryDequeue(out Keypair? retired))
        {
            retired.Dispose();
        }

        Checker.Dispose();
        Local.Dispose();
        _meter.Dispose();
    }

    private static UdpEndpoint Resolve(PeerSettings peer)
    {
        WireGuardSettings.TrySplitEndpoint(peer.Endpoint!, out string host, out int port, out _);
        IPAddress? address;
        if (!IPAddress.TryParse(host, out address))
        {
            IPAddress[] found;
            try
            {
                found = Dns.GetHostAddresses(host);
            }
            catch (SocketException ex)
            {
                throw new InvalidOperationException($"{peer.Path}:Endpoint: cannot resolve '{host}': {ex.Message}", ex);
            }

            address = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault()
                ?? throw new InvalidOperationException($"{peer.Path}:Endpoint: '{host}' has no addresses");
        }

        return UdpEndpoint.Create(address, (ushort)port);
    }

    private void OpenSockets(string settingsPath)
    {
        int port = _settings.ListenPort;
        foreach (IPAddress address in _settings.ListenAddresses)
        {
            UdpSocket[] group;
            try
            {
                // One group per address: this process alone receives on the port (see UdpSocket.OpenGroup).
                group = UdpSocket.OpenGroup(new UdpSocketOptions(address, (ushort)port)
                {
                    ReceiveBufferBytes = _settings.ReceiveBufferBytes,
                    SendBufferBytes = _settings.SendBufferBytes,
                    Gso = _settings.Gso,
                    Gro = _settings.Gro,
                    V6Only = true,
                    NetworkNamespace = _settings.Namespace,
                    FirewallMark = _settings.FwMark,
                }, _settings.Sockets, _logger);
            }
            catch (LinuxException ex) when (!_settings.ListenAddressesConfigured && address.AddressFamily == AddressFamily.InterNetworkV6 && ex.ErrorNumber != Errno.EADDRINUSE)
            {
                // The default listens on both families; a host without IPv6 still gets IPv4.
                Log.NoIPv6(_logger, Name, ex.Message);
                continue;
            }
            catch (LinuxException ex)
            {
                string key = ex.ErrorNumber == Errno.EADDRINUSE ? $" (set by {settingsPath}:ListenPort)" : string.Empty;
                throw new InvalidOperationException($"stage '{Name}': cannot listen on {(address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString())}:{port}{key}: {ex.Message}", ex);
            }

            _sockets.AddRange(group); // owned (and disposed) by the stage from here
            foreach (UdpSocket socket in group)
            {
                port = socket.LocalEndpoint.Port;
                (socket.IsIPv6 ? _v6 : _v4).Add(socket);
                _sources.Add(new UdpReceiveQueue(socket, _sources.Count, BatchSize, ReceiveHeadroom, ReceiveTailroom));
            }
        }

        ListenPort = port;
        _firewallMark = _settings.FwMark;
    }

    private IEnumerable<Measurement<long>> MeasurePeers(Func<WireGuardCounters, long[]> select)
    {
        WireGuardCounters total = Sum();
        long[] values = select(total);
        foreach (WireGuardPeer peer in Peers)
        {
            yield return new Measurement<long>(values[peer.Index], new KeyValuePair<string, object?>("stage", Name), new KeyValuePair<string, object?>("peer", peer.Name));
        }
    }

    private IEnumerable<Measurement<long>> MeasureDrops()
    {
        WireGuardCounters total = Sum();
        for (int id = 1; id < DropReason.Count; id++)
        {
            if (total.Drops[id] + total.HandshakeDrops[id] != 0)
            {
                yield return new Measurement<long>(total.Drops[id] + total.HandshakeDrops[id], new KeyValuePair<string, object?>("stage", Name), new KeyValuePair<string, object?>("reason", DropReason.FromId(id).Name));
            }
        }
    }

    private string PortPrefixes(WireGuardPeer peer)
    {
        foreach (PeerSettings settings in _settings.Peers)
        {
            if (settings.Name == peer.Name)
            {
                return settings.AllowedIPs.Count == 0 ? "(none)" : string.Join(", ", settings.AllowedIPs);
            }
        }

        return "(none)";
    }

    private static string Ago(long ms)
    {
        long seconds = Math.Max(0, ms / 1000);
        return seconds switch
        {
            < 60 => $"{seconds} second{(seconds == 1 ? "" : "s")} ago",
            < 3600 => $"{seconds / 60} minute{(seconds / 60 == 1 ? "" : "s")}, {seconds % 60} seconds ago",
            _ => $"{seconds / 3600} hours, {seconds / 60 % 60} minutes ago",
        };
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1 << 20 => $"{bytes / 1024.0:0.##} KiB",
        < 1 << 30 => $"{bytes / 1048576.0:0.##} MiB",
        _ => $"{bytes / 1073741824.0:0.##} GiB",
    };

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "WireGuard '{Stage}': public key {PublicKey}, listening on port {Port} ({Sockets} sockets), {Peers} peers")]
        public static partial void Started(ILogger logger, string stage, string publicKey, int port, int sockets, int peers);

        [LoggerMessage(Level = LogLevel.Information, Message = "WireGuard '{Stage}': {Crypto}")]
        public static partial void Crypto(ILogger logger, string stage, string crypto);

        [LoggerMessage(Level = LogLevel.Information, Message = "WireGuard '{Stage}': a full tunnel needs the sockets marked and FwMark is not set: marking them with {Mark} (the listen port; set FwMark to choose another)")]
        public static partial void FirewallMarkChosen(ILogger logger, string stage, uint mark);

        [LoggerMessage(Level = LogLevel.Warning, Message = "WireGuard '{Stage}': no IPv6 socket ({Reason}); listening on IPv4 only")]
        public static partial void NoIPv6(ILogger logger, string stage, string reason);
    }
}
