using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;
using RouterHost.Abstractions.Tunnels;
using RouterHost.Crypto;
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
    public const int HandshakeQueueCapacity = 4096;

    /// <summary>Headroom and tailroom around each received datagram (room to re-encrypt a decrypted packet in place).</summary>
    public const int ReceiveHeadroom = 64;

    public const int ReceiveTailroom = 64;

    private readonly ILogger _logger;
    private readonly WireGuardSettings _settings;
    private readonly List<UdpReceiveQueue> _sources = [];
    private readonly Meter _meter;
    private HandshakeLoop? _loop;
    private Func<IConfigurationSection, List<ConfigurationProblem>, WireGuardSettings> _readSettings = (section, problems) => WireGuardSettings.Parse(section, problems);

    private WireGuardStage(string name, WireGuardSettings settings, LocalIdentity local, IReadOnlyList<WireGuardPeer> peers, int batchSize, ILogger logger)
    {
        Name = name;
        _settings = settings with { Peers = [] }; // the peers live on as WireGuardPeers: their settings are not kept twice
        _local = local;
        _logger = logger;
        _checker = new CookieChecker(local);
        _table = PeerTable.Create(peers);
        _nextSlot = peers.Count;
        BatchSize = batchSize;
        _meter = new Meter("RouterHost.WireGuard");
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
    /// Per stage source, the peers whose staged packets may go now (a session just became usable): the lane reading that
    /// source sends them at the end of its batch (<see cref="WireGuardWorker.EndBatch"/>). See <see cref="ReleaseStaged"/>.
    /// </summary>
    private ConcurrentQueue<WireGuardPeer>[] _stagedReady = [new()];

    /// <summary>The peers released to the lane of stage source <paramref name="source"/> (see <see cref="ReleaseStaged"/>).</summary>
    public ConcurrentQueue<WireGuardPeer>? StagedReadyFor(int source)
    {
        ConcurrentQueue<WireGuardPeer>[] all = _stagedReady;
        return (uint)source < (uint)all.Length ? all[source] : null;
    }

    /// <summary>Sessions the data path took out of use (a confirmed responder session replacing the previous one).</summary>
    public ConcurrentQueue<Keypair> Retired { get; } = new();

    public int Mtu => _settings.Mtu;

    /// <summary>The receive path's AQM settings (<c>Aqm</c>).</summary>
    public ReceiveAqmSettings Aqm => _settings.Aqm;

    /// <summary>The monotonic clock (ms) every timer of the stage reads; tests replace it to drive timers.</summary>
    internal Func<long> Clock { get; set; } = static () => Environment.TickCount64;

    public long Now => Clock();

    public int BatchSize { get; }

    public int ListenPort { get; private set; }

    public IReadOnlyList<IPacketReader> Sources => _sources;

    /// <summary>
    /// Builds the stage: reads keys, registers peers, binds sockets. Throws with a clear message on failure.
    /// <paramref name="readSettings"/> reads a reload's settings (default: <see cref="WireGuardSettings.Parse"/>; the
    /// plugin passes the settings its validation of that reload already read).
    /// </summary>
    public static WireGuardStage Create(StageContext context, WireGuardSettings settings, int batchSize, Func<IConfigurationSection, List<ConfigurationProblem>, WireGuardSettings>? readSettings = null)
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
                PortInfo port = context.Ports.AddPeer(context.Name, new PeerRegistration(peer.Name, [.. peer.Groups], WireGuardSettings.Networks(peer.AllowedIPs), settings.Mtu));
                peers.Add(new WireGuardPeer(peers.Count, port.Id, peer.Name, identity!, endpoint, (long)peer.PersistentKeepalive.TotalMilliseconds)
                {
                    Configuration = StateOf(peer),
                });
            }

            stage = new WireGuardStage(context.Name, settings, local, peers, batchSize, logger);
            stage._readSettings = readSettings ?? ((section, problems) => WireGuardSettings.Parse(section, problems));
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

    public WireGuardPeer? FindPeer(ReadOnlySpan<byte> publicKey) =>
        Volatile.Read(ref _table).ByKey.TryGetValue(Convert.ToBase64String(publicKey), out WireGuardPeer? peer) ? peer : null;

    public void WakeHandshakeThread() => _loop?.Wake();

    /// <summary>
    /// A session with <paramref name="peer"/> became usable: what was staged for it goes out from the lane that reads
    /// stage source <paramref name="source"/> — the source its handshake message or first transport message came in on,
    /// so the lane the kernel gives the peer's datagrams (SO_REUSEPORT) sends its staged packets too, one hand-off per
    /// peer, not per packet. From a lane (it confirmed a session) it is the lane itself, which sends at the end of its
    /// batch; from the handshake thread (<paramref name="wakeLane"/>) that lane is woken so the packets never wait for
    /// other traffic.
    /// </summary>
    public void ReleaseStaged(WireGuardPeer peer, int source, bool wakeLane)
    {
        ConcurrentQueue<WireGuardPeer>[] all = _stagedReady;
        int lane = (uint)source < (uint)all.Length ? source : 0;
        if (peer.RequestStagedFlush())
        {
            all[lane].Enqueue(peer);
            if (wakeLane && lane < _sources.Count)
            {
                _sources[lane].Wake();
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
    public bool Confirm(WireGuardPeer peer, Keypair keypair, int source)
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

                ReleaseStaged(peer, source, wakeLane: false);
                return true;
            }
        }
    }

    public bool UnderLoad => _loop?.UnderLoad == true;

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

    private static partial class Log
    {
        [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "WireGuard '{Stage}': public key {PublicKey}, listening on port {Port} ({Sockets} sockets), {Peers} peers")]
        public static partial void Started(ILogger logger, string stage, string publicKey, int port, int sockets, int peers);

        [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "WireGuard '{Stage}': {Crypto}")]
        public static partial void Crypto(ILogger logger, string stage, string crypto);

        [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "WireGuard '{Stage}': a full tunnel needs the sockets marked and FwMark is not set: marking them with {Mark} (the listen port; set FwMark to choose another)")]
        public static partial void FirewallMarkChosen(ILogger logger, string stage, uint mark);

        [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "WireGuard '{Stage}': no IPv6 socket ({Reason}); listening on IPv4 only")]
        public static partial void NoIPv6(ILogger logger, string stage, string reason);
    }
}
