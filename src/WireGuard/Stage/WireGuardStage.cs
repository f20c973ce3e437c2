using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
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
    private readonly Lock _markLock = new();
    private uint _firewallMark;
    private bool _markClaimed;
    private readonly List<UdpReceiveQueue> _sources = [];
    private readonly List<WireGuardCounters> _counters = [];
    private readonly Lock _countersLock = new();
    private readonly Meter _meter;
    private HandshakeLoop? _loop;

    private WireGuardStage(string name, WireGuardSettings settings, LocalIdentity local, IReadOnlyList<WireGuardPeer> peers, int batchSize, ILogger logger)
    {
        Name = name;
        _settings = settings;
        _local = local;
        _logger = logger;
        _checker = new CookieChecker(local);
        _table = PeerTable.Create(peers);
        _nextSlot = peers.Count;
        BatchSize = batchSize;
        _meter = new Meter("RouterHost.WireGuard");
        _meter.CreateObservableCounter("routerhost.wireguard.peer.received.bytes", () => MeasurePeers(c => c.RxBytes), "By", "Bytes received from a peer (UDP payload)");
        _meter.CreateObservableCounter("routerhost.wireguard.peer.sent.bytes", () => MeasurePeers(c => c.TxBytes), "By", "Bytes sent to a peer (UDP payload)");
        _meter.CreateObservableCounter("routerhost.wireguard.dropped", MeasureDrops, description: "Drops after the chain's accounting (send failures, handshake messages refused), by reason");
        _meter.CreateObservableGauge("routerhost.wireguard.under_load", () => new Measurement<int>(_loop?.UnderLoad == true ? 1 : 0, new KeyValuePair<string, object?>("stage", Name)), description: "1 while handshakes are answered with cookies (under load)");
        CreateStatusInstruments();
    }

    public string Name { get; }

    /// <summary>This node's static key (swapped whole when the private key changes on a reload).</summary>
    public LocalIdentity Local => Volatile.Read(ref _local);

    /// <summary>The running peers (an immutable snapshot, swapped whole when peers change at runtime).</summary>
    public IReadOnlyList<WireGuardPeer> Peers => Volatile.Read(ref _table).All;

    /// <summary>MAC1/MAC2 checks of messages to us (keyed with our public key: swapped with it).</summary>
    public CookieChecker Checker => Volatile.Read(ref _checker);

    public IndexTable<IndexEntry> Indices { get; } = new();

    public HandshakeQueue Handshakes { get; } = new(HandshakeQueueCapacity);

    /// <summary>Peers whose handshake the data path asked for.</summary>
    public ConcurrentQueue<WireGuardPeer> Requests { get; } = new();

    /// <summary>
    /// Peers whose staged packets may go now (a session just became usable): the next lane to end a batch in this
    /// stage sends them (<see cref="WireGuardWorker.EndBatch"/>). See <see cref="ReleaseStaged"/>.
    /// </summary>
    public ConcurrentQueue<WireGuardPeer> StagedReady { get; } = new();

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
        lock (_markLock)
        {
            _markClaimed = true;
            if (_firewallMark != 0)
            {
                return _firewallMark;
            }

            // As wg-quick numbers a full tunnel's table 51820: the listen port is this router's alone, so is the mark.
            uint mark = (uint)ListenPort;
            foreach (UdpSocket socket in Sockets.All)
            {
                socket.SetFirewallMark(mark);
            }

            Volatile.Write(ref _firewallMark, mark);
            Log.FirewallMarkChosen(_logger, Name, mark);
            return mark;
        }
    }

    /// <summary>
    /// Marks the running sockets (and those a rebind opens) with <paramref name="mark"/> (0: none), as wireguard-go's
    /// fwmark. Refused while a full tunnel routes by the current mark: the kernel's policy rules were installed with it
    /// (see KernelRoutes), and sockets marked otherwise would have their own underlay traffic routed into the tunnel.
    /// </summary>
    internal bool TrySetFirewallMark(uint mark, out string? problem)
    {
        lock (_markLock)
        {
            problem = null;
            uint old = _firewallMark;
            if (mark == old)
            {
                return true;
            }

            if (_markClaimed && old != 0 && Peers.Any(p => p.Configuration.AllowedIPs.Any(a => a.EndsWith("/0", StringComparison.Ordinal))))
            {
                problem = $"the full tunnel's kernel policy rules route by the sockets' mark {old}, and a changed mark would send the tunnel's own UDP into the tunnel; remove the peer whose allowed IPs hold a default route first, or set FwMark in the file and restart";
                return false;
            }

            UdpSocket[] sockets = Sockets.All;
            for (int i = 0; i < sockets.Length; i++)
            {
                try
                {
                    sockets[i].SetFirewallMark(mark);
                }
                catch (LinuxException ex)
                {
                    for (int j = 0; j < i; j++)
                    {
                        sockets[j].SetFirewallMark(old);
                    }

                    problem = ex.Message;
                    return false;
                }
            }

            Volatile.Write(ref _firewallMark, mark);
            return true;
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
                peers.Add(new WireGuardPeer(peers.Count, port.Id, peer.Name, identity!, endpoint, (long)peer.PersistentKeepalive.TotalMilliseconds)
                {
                    Configuration = StateOf(peer),
                });
            }

            stage = new WireGuardStage(context.Name, settings, local, peers, batchSize, logger);
            stage.OpenSockets(context.Settings.Path);
            stage._loop = new HandshakeLoop(stage, logger);
            stage.Subscribe(context.Ports);
            stage.StartUapi(context);
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

        Log.Started(_logger, Name, WireGuardKey.Format(Local.PublicKey), ListenPort, Sockets.All.Length, Peers.Count);
        Log.Crypto(_logger, Name, RouterHost.Crypto.CryptoLibrary.AeadDescription);
    }

    public IStageWorker CreateWorker(int lane) => new WireGuardWorker(this, lane);

    /// <summary>Our peer behind <paramref name="port"/>, or null when the port is not one of ours.</summary>
    public WireGuardPeer? PeerFor(PortId port)
    {
        WireGuardPeer?[] byPort = Volatile.Read(ref _table).ByPortIndex;
        int index = port.Index;
        return (uint)index < (uint)byPort.Length ? byPort[index] : null;
    }

    /// <summary>The source queue a datagram came from.</summary>
    public UdpReceiveQueue? SourceAt(int index) => (uint)index < (uint)_sources.Count ? _sources[index] : null;

    /// <summary>The socket of one family a lane sends on (lanes spread over the sockets), or null when none.</summary>
    public UdpSocket? SocketFor(int lane, bool ipv6)
    {
        SocketSet set = Sockets;
        UdpSocket[] sockets = ipv6 ? set.V6 : set.V4;
        return sockets.Length == 0 ? null : sockets[lane % sockets.Length];
    }

    public WireGuardPeer? FindPeer(ReadOnlySpan<byte> publicKey) =>
        Volatile.Read(ref _table).ByKey.TryGetValue(Convert.ToBase64String(publicKey), out WireGuardPeer? peer) ? peer : null;

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

    public void WakeHandshakeThread() => _loop?.Wake();

    /// <summary>
    /// A session with <paramref name="peer"/> became usable: what was staged for it goes out from a lane — the lane
    /// calling this when it is one (it confirmed a session; it sends at the end of its batch), or, from the handshake
    /// thread (<paramref name="wakeLane"/>), the first lane to end a batch, a source lane woken for it at once so the
    /// packets never wait for other traffic.
    /// </summary>
    public void ReleaseStaged(WireGuardPeer peer, bool wakeLane)
    {
        if (peer.RequestStagedFlush())
        {
            StagedReady.Enqueue(peer);
            if (wakeLane && _sources.Count > 0)
            {
                _sources[0].Wake();
            }
        }
    }

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

                ReleaseStaged(peer, wakeLane: false);
                return true;
            }
        }
    }

    /// <summary>Every thread's counters summed (for status and tests).</summary>
    public WireGuardCounters Sum()
    {
        int slots = Volatile.Read(ref _nextSlot);
        var total = new WireGuardCounters(slots);
        lock (_countersLock)
        {
            foreach (WireGuardCounters c in _counters)
            {
                long[] rxBytes = c.RxBytes, txBytes = c.TxBytes, rxPackets = c.RxPackets, txPackets = c.TxPackets;
                for (int i = 0; i < slots && i < rxBytes.Length && i < txBytes.Length && i < rxPackets.Length && i < txPackets.Length; i++)
                {
                    total.RxBytes[i] += rxBytes[i];
                    total.TxBytes[i] += txBytes[i];
                    total.RxPackets[i] += rxPackets[i];
                    total.TxPackets[i] += txPackets[i];
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
        StopUapi();
        Unsubscribe();
        _loop?.Dispose();
        foreach (UdpReceiveQueue source in _sources)
        {
            source.Dispose();
        }

        foreach (UdpSocket socket in Sockets.All)
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

    private static UdpEndpoint Resolve(PeerSettings peer) => Resolve(peer.Endpoint!, peer.Path);

    private static UdpEndpoint Resolve(string endpoint, string path)
    {
        WireGuardSettings.TrySplitEndpoint(endpoint, out string host, out int port, out _);
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
                throw new InvalidOperationException($"{path}:Endpoint: cannot resolve '{host}': {ex.Message}", ex);
            }

            address = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault()
                ?? throw new InvalidOperationException($"{path}:Endpoint: '{host}' has no addresses");
        }

        return UdpEndpoint.Create(address, (ushort)port);
    }

    private void OpenSockets(string settingsPath)
    {
        _firewallMark = _settings.FwMark;
        SocketSet set = OpenSocketSet(_settings.ListenPort, settingsPath);
        Volatile.Write(ref _socketSet, set);
        foreach (UdpSocket socket in set.All)
        {
            _sources.Add(new UdpReceiveQueue(socket, _sources.Count, BatchSize, ReceiveHeadroom, ReceiveTailroom));
        }

        ListenPort = set.Port;
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
