using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Underlay;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The stage's control thread: answers handshake messages from the queue the receive lanes fill (MAC2, cookie replies
/// and per-source rate limits when under load), initiates and retries handshakes, installs sessions, sends staged
/// packets and keepalives, evaluates every peer's timers from the stamps the data path leaves, and retires old
/// sessions. It owns every peer's Noise state, so none of that needs a lock. It never runs on the data path.
/// </summary>
internal sealed partial class HandshakeLoop : IDisposable
{
    /// <summary>How often timers are evaluated.</summary>
    public const int TickMs = 50;

    /// <summary>Past this fill of the queue the node is under load, and stays so for a second (wireguard-go's rule).</summary>
    public const long UnderLoadHoldMs = 1000;

    /// <summary>How long a retired session's keys live on (for a packet still being decrypted on another thread).</summary>
    public const long RetireGraceMs = 10_000;

    private readonly WireGuardStage _stage;
    private readonly ILogger _logger;
    private readonly TransportSender _sender;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly PendingInitiation _pending = new();
    private readonly SourceRateLimiter _rateLimiter = new();
    private readonly byte[] _message = new byte[MessageLayout.InitiationSize];
    private readonly byte[] _reply = new byte[MessageLayout.InitiationSize];
    private readonly byte[] _sourceKey = new byte[18];
    private readonly byte[] _address = new byte[16];
    private readonly List<StagedPacket> _staged = [];
    private readonly Queue<(Keypair Keypair, long RetiredMs)> _retiring = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action<long>> _commands = new();
    private readonly Queue<(IDisposable Item, long RetiredMs)> _dying = new();
    private Thread? _thread;
    private volatile bool _stopping;
    private long _underLoadUntilMs;
    private long _lastTickMs;
    private int _socketGeneration;

    public HandshakeLoop(WireGuardStage stage, ILogger logger)
    {
        _stage = stage;
        _logger = logger;
        Counters = stage.RegisterCounters();
        _socketGeneration = stage.SocketGeneration;
        _sender = new TransportSender(stage.SocketFor(0, ipv6: false), stage.SocketFor(0, ipv6: true), stage.Mtu, Counters, maxDatagrams: 256);
    }

    public WireGuardCounters Counters { get; }

    /// <summary>Whether the node is under load now (cookie replies instead of responses).</summary>
    public bool UnderLoad => _stage.Now < Volatile.Read(ref _underLoadUntilMs);

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"rh {_stage.Name}/handshake" };
        _thread.Start();
    }

    public void Wake()
    {
        if (!_wake.IsSet)
        {
            _wake.Set();
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> on the handshake thread at the start of its next round (with that round's clock):
    /// how runtime changes (a removed peer, a new preshared or private key) reach the state this thread owns alone.
    /// </summary>
    public void Post(Action<long> command)
    {
        _commands.Enqueue(command);
        Wake();
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread?.Join(TimeSpan.FromSeconds(5));
        while (_commands.TryDequeue(out Action<long>? command))
        {
            command(_stage.Now);
        }

        while (_retiring.TryDequeue(out var retired))
        {
            retired.Keypair.Dispose();
        }

        while (_dying.TryDequeue(out var dying))
        {
            dying.Item.Dispose();
        }

        _pending.Clear();
        _wake.Dispose();
    }

    private void Run()
    {
        while (!_stopping)
        {
            _wake.Wait(TickMs);
            _wake.Reset();
            try
            {
                RunOnce(_stage.Now);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A bug here must not stop the router's handshakes for good: logged, and the loop goes on.
                Log.LoopFailed(_logger, ex, _stage.Name);
            }
        }
    }

    /// <summary>One round: queued messages, requests from the data path, timers, retirements, then one flush.</summary>
    internal void RunOnce(long now)
    {
        while (_commands.TryDequeue(out Action<long>? command))
        {
            command(now);
        }

        if (_stage.SocketGeneration != _socketGeneration)
        {
            _socketGeneration = _stage.SocketGeneration;
            _sender.Rebind(_stage.SocketFor(0, ipv6: false), _stage.SocketFor(0, ipv6: true));
        }

        int handled = 0;
        while (handled < 1024 && _stage.Handshakes.TryDequeue(_message, out int length, out UdpEndpoint source, out UdpEndpoint destination, out long received))
        {
            handled++;
            Counters.HandshakeMessagesHandled++;
            Handle(_message.AsSpan(0, length), source, destination, Math.Max(now, received));
            if (_sender.Pending >= 128)
            {
                _sender.Flush();
            }
        }

        while (_stage.Requests.TryDequeue(out WireGuardPeer? peer))
        {
            if (peer.IsRemoved)
            {
                continue; // asked for before it was removed
            }

            if (peer.TakeHandshakeRequest())
            {
                SendInitiation(peer, retry: false, now);
            }

            if (peer.TakeStagedFlushRequest())
            {
                SendStaged(peer, now);
            }
        }

        if (now - _lastTickMs >= TickMs)
        {
            _lastTickMs = now;
            foreach (WireGuardPeer p in _stage.Peers)
            {
                Tick(p, now);
            }
        }

        while (_retiring.TryPeek(out var oldest) && now - oldest.RetiredMs >= RetireGraceMs)
        {
            _retiring.Dequeue();
            oldest.Keypair.Dispose();
        }

        while (_dying.TryPeek(out var dying) && now - dying.RetiredMs >= RetireGraceMs)
        {
            _dying.Dequeue();
            dying.Item.Dispose();
        }

        while (_stage.Retired.TryDequeue(out Keypair? retired))
        {
            Forget(retired, now);
        }

        _sender.Flush();
        if (handled == 1024)
        {
            _wake.Set(); // more are waiting: no sleep before the next round
        }
    }

    private bool IsUnderLoad(long now)
    {
        if (_stage.Handshakes.Count >= _stage.Handshakes.Capacity / 8)
        {
            Volatile.Write(ref _underLoadUntilMs, now + UnderLoadHoldMs);
            return true;
        }

        return now < _underLoadUntilMs;
    }

    private void Handle(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, long now)
    {
        MessageType type = MessageLayout.TypeOf(message);
        if (type == MessageType.CookieReply)
        {
            HandleCookieReply(message, now);
            return;
        }

        if (IsUnderLoad(now))
        {
            int addressLength = source.WriteAddress(_address);
            int keyLength = CookieChecker.SourceKey(_address.AsSpan(0, addressLength), source.Port, _sourceKey);
            if (!_stage.Checker.CheckMac2(message, _sourceKey.AsSpan(0, keyLength), now))
            {
                Span<byte> reply = _reply.AsSpan(0, MessageLayout.CookieReplySize);
                _stage.Checker.CreateReply(message, _sourceKey.AsSpan(0, keyLength), now, reply);
                if (_sender.SendMessage(source, destination, reply).IsNone)
                {
                    Counters.CookieRepliesSent++;
                }

                Counters.DropMessage(WireGuardDropReasons.CookieSent);
                return;
            }

            if (!_rateLimiter.Allow(_address.AsSpan(0, addressLength), now))
            {
                Counters.DropMessage(WireGuardDropReasons.RateLimited);
                return;
            }
        }

        if (type == MessageType.Initiation)
        {
            HandleInitiation(message, source, destination, now);
        }
        else
        {
            HandleResponse(message, source, destination, now);
        }
    }

    private void HandleInitiation(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, long now)
    {
        HandshakeOutcome outcome = NoiseHandshake.TryOpenInitiation(_stage.Local, message, _pending);
        if (outcome != HandshakeOutcome.Accepted)
        {
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        WireGuardPeer? peer = _stage.FindPeer(_pending.RemoteStaticKey);
        if (peer is null)
        {
            _pending.Clear();
            Counters.DropMessage(WireGuardDropReasons.UnknownPeer);
            return;
        }

        outcome = NoiseHandshake.TryAcceptInitiation(_pending, peer.Identity, peer.Handshake, message, now);
        if (outcome != HandshakeOutcome.Accepted)
        {
            _pending.Clear();
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        // Our own initiation under way (if any) is replaced: the peer's wins, as in wireguard-go.
        ReleaseHandshakeIndex(peer);
        var placeholder = new IndexEntry(peer, null);
        uint index = _stage.Indices.Add(placeholder);
        Span<byte> response = _reply.AsSpan(0, MessageLayout.ResponseSize);
        outcome = NoiseHandshake.CreateResponse(peer.Identity, peer.Handshake, index, response);
        Keypair? keypair = outcome == HandshakeOutcome.Accepted ? NoiseHandshake.DeriveKeypair(peer.Handshake, now) : null;
        if (keypair is null)
        {
            _stage.Indices.Remove(index, placeholder);
            peer.Handshake.Clear();
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        peer.Cookies.AddMacs(response, now);
        _stage.Indices.Replace(index, new IndexEntry(peer, keypair));
        // A responder's session waits as Next until the initiator's first message confirms it.
        Install(peer, keypair, asInitiator: false, source, destination, now);
        // A handshake just happened: our own initiation must not cross it (wireguard-go stamps its response the same way).
        peer.LastInitiationSentMs = now;
        if (_sender.SendMessage(source, destination, response).IsNone)
        {
            Counters.ResponsesSent++;
            peer.OnSent(now);
        }

        Counters.HandshakesAccepted[(int)MessageType.Initiation]++;
        Log.Responded(_logger, _stage.Name, peer.Name, source.ToString());
    }

    private void HandleResponse(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, long now)
    {
        uint receiver = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.ResponseReceiverOffset..]);
        if (!_stage.Indices.TryGet(receiver, out IndexEntry? entry) || entry.Keypair is not null || !ReferenceEquals(entry.Peer.HandshakeEntry, entry))
        {
            Counters.DropMessage(WireGuardDropReasons.UnexpectedResponse);
            return;
        }

        WireGuardPeer peer = entry.Peer;
        if (peer.IsRemoved)
        {
            Counters.DropMessage(WireGuardDropReasons.RemovedPeer);
            return;
        }

        HandshakeOutcome outcome = NoiseHandshake.TryConsumeResponse(_stage.Local, peer.Identity, peer.Handshake, message);
        if (outcome != HandshakeOutcome.Accepted)
        {
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        Keypair keypair = NoiseHandshake.DeriveKeypair(peer.Handshake, now)!;
        _stage.Indices.Replace(receiver, new IndexEntry(peer, keypair));
        peer.HandshakeIndex = 0;
        peer.HandshakeEntry = null;
        // The initiator may send at once: the new session becomes current, the old one previous.
        Install(peer, keypair, asInitiator: true, source, destination, now);
        Counters.HandshakesAccepted[(int)MessageType.Response]++;
        Log.Completed(_logger, _stage.Name, peer.Name, source.ToString());
        if (SendStaged(peer, now) == 0)
        {
            SendKeepalive(peer, now); // confirms the session to the responder
        }
    }

    /// <summary>
    /// Puts a just-derived session in place (the initiator's as current, a responder's as next), retires what it
    /// pushes out, and records the handshake: the peer's endpoint is where the message came from, its retries stop.
    /// </summary>
    private void Install(WireGuardPeer peer, Keypair keypair, bool asInitiator, in UdpEndpoint source, in UdpEndpoint destination, long now)
    {
        while (true)
        {
            KeypairSet set = peer.Keypairs;
            KeypairSet installed = asInitiator ? new KeypairSet(keypair, set.Current, null) : new KeypairSet(set.Current, null, keypair);
            if (peer.TrySwapKeypairs(set, installed))
            {
                Retire(set.Previous, now);
                Retire(set.Next, now);
                break;
            }
        }

        peer.SetEndpoint(new PeerEndpoint(source, destination));
        peer.OnReceived(now);
        peer.RetransmitAtMs = 0;
        peer.HandshakeAttempts = 0;
        peer.LastSessionDerivedMs = now;
        Volatile.Write(ref peer.LatestHandshakeUnixMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private void HandleCookieReply(ReadOnlySpan<byte> message, long now)
    {
        uint receiver = CookieGenerator.ReceiverOf(message);
        if (!_stage.Indices.TryGet(receiver, out IndexEntry? entry) || entry.Keypair is not null)
        {
            Counters.DropMessage(WireGuardDropReasons.UnknownReceiver);
            return;
        }

        if (entry.Peer.Cookies.TryConsumeReply(message, now))
        {
            Counters.HandshakesAccepted[(int)MessageType.CookieReply]++;
            Log.CookieReceived(_logger, _stage.Name, entry.Peer.Name);
        }
        else
        {
            Counters.DropMessage(WireGuardDropReasons.BadCookieReply);
        }
    }

    private void SendInitiation(WireGuardPeer peer, bool retry, long now)
    {
        PeerEndpoint? endpoint = peer.Endpoint;
        if (endpoint is null)
        {
            return; // it has to reach us first
        }

        if (!retry)
        {
            if (peer.LastInitiationSentMs != 0 && now - peer.LastInitiationSentMs < ProtocolLimits.RekeyTimeoutMs)
            {
                return; // one is under way; its retry timer covers it
            }

            peer.HandshakeAttempts = 0;
        }

        ReleaseHandshakeIndex(peer);
        var entry = new IndexEntry(peer, null);
        uint index = _stage.Indices.Add(entry);
        Span<byte> message = _reply.AsSpan(0, MessageLayout.InitiationSize);
        if (!NoiseHandshake.CreateInitiation(_stage.Local, peer.Identity, peer.Handshake, index, DateTimeOffset.UtcNow, message))
        {
            _stage.Indices.Remove(index, entry);
            return;
        }

        peer.HandshakeIndex = index;
        peer.HandshakeEntry = entry;
        peer.Cookies.AddMacs(message, now);
        peer.LastInitiationSentMs = now;
        peer.RetransmitAtMs = now + ProtocolLimits.RekeyTimeoutMs + RandomNumberGenerator.GetInt32(ProtocolLimits.RekeyTimeoutJitterMaxMs);
        if (_sender.SendMessage(endpoint.Remote, endpoint.Local, message).IsNone)
        {
            Counters.InitiationsSent++;
            peer.OnSent(now);
        }
    }

    /// <summary>Sends what waited for a session; returns how many packets left.</summary>
    private int SendStaged(WireGuardPeer peer, long now)
    {
        Keypair? keypair = peer.Keypairs.Current;
        PeerEndpoint? endpoint = peer.Endpoint;
        if (keypair is null || keypair.IsExpired(now) || endpoint is null)
        {
            if (peer.Staged.Count > 0)
            {
                SendInitiation(peer, retry: false, now);
            }

            return 0;
        }

        _staged.Clear();
        peer.Staged.Drain(_staged);
        int sent = 0;
        foreach (StagedPacket staged in _staged)
        {
            var packet = new Packet { Buffer = staged.Buffer, Offset = 0, Length = staged.Length, Gso = staged.Gso, Egress = peer.Port };
            DropReason result = _sender.Send(peer, keypair, endpoint, ref packet);
            if (result.IsNone)
            {
                sent++;
            }
            else
            {
                Counters.Drop(result);
            }

            // The sender copied the packet into its own pinned scratch; the pooled buffer can go back now.
            StagedPackets.Release(staged);
        }

        _staged.Clear();
        if (sent > 0)
        {
            Counters.StagedSent += sent;
            peer.OnDataSent(now);
        }

        return sent;
    }

    private void SendKeepalive(WireGuardPeer peer, long now)
    {
        Keypair? keypair = peer.Keypairs.Current;
        PeerEndpoint? endpoint = peer.Endpoint;
        if (keypair is null || keypair.IsExpired(now) || endpoint is null)
        {
            SendInitiation(peer, retry: false, now);
            return;
        }

        DropReason result = _sender.SendKeepalive(peer, keypair, endpoint);
        if (result.IsNone)
        {
            Counters.KeepalivesSent++;
            peer.OnSent(now);
        }
        else if (result == WireGuardDropReasons.ExpiredSession)
        {
            SendInitiation(peer, retry: false, now);
        }
        else
        {
            Counters.Drop(result);
        }
    }

    private void Tick(WireGuardPeer peer, long now)
    {
        if (peer.Handshake.Stage == HandshakeStage.InitiationCreated && peer.RetransmitAtMs != 0 && now >= peer.RetransmitAtMs)
        {
            if (peer.HandshakeAttempts > ProtocolLimits.MaxHandshakeAttempts)
            {
                ReleaseHandshakeIndex(peer);
                peer.Handshake.Clear();
                peer.RetransmitAtMs = 0;
                int dropped = peer.Staged.Clear();
                Counters.Drop(WireGuardDropReasons.HandshakeTimeout, dropped);
                Log.GaveUp(_logger, _stage.Name, peer.Name, peer.HandshakeAttempts, dropped);
            }
            else
            {
                peer.HandshakeAttempts++;
                SendInitiation(peer, retry: true, now);
            }
        }

        long pending = Volatile.Read(ref peer.NewHandshakePendingSinceMs);
        if (pending != 0 && now - pending >= ProtocolLimits.KeepaliveTimeoutMs + ProtocolLimits.RekeyTimeoutMs
            && Interlocked.CompareExchange(ref peer.NewHandshakePendingSinceMs, 0, pending) == pending)
        {
            // We sent data and heard nothing back for 15 s: the session may be dead on the other side.
            Log.Silent(_logger, _stage.Name, peer.Name);
            SendInitiation(peer, retry: false, now);
        }

        long keepalive = Volatile.Read(ref peer.KeepalivePendingSinceMs);
        if (keepalive != 0 && now - keepalive >= ProtocolLimits.KeepaliveTimeoutMs
            && Interlocked.CompareExchange(ref peer.KeepalivePendingSinceMs, 0, keepalive) == keepalive)
        {
            SendKeepalive(peer, now);
        }

        if (peer.PersistentKeepaliveMs > 0
            && now - Math.Max(Volatile.Read(ref peer.LastSentMs), Volatile.Read(ref peer.LastReceivedMs)) >= peer.PersistentKeepaliveMs)
        {
            SendKeepalive(peer, now);
        }

        if (peer.LastSessionDerivedMs != 0 && now - peer.LastSessionDerivedMs >= ProtocolLimits.ZeroKeyMaterialAfterMs)
        {
            peer.LastSessionDerivedMs = 0;
            while (true)
            {
                KeypairSet set = peer.Keypairs;
                if (peer.TrySwapKeypairs(set, KeypairSet.Empty))
                {
                    Retire(set.Current, now);
                    Retire(set.Previous, now);
                    Retire(set.Next, now);
                    break;
                }
            }

            ReleaseHandshakeIndex(peer);
            peer.Handshake.Clear();
            Log.Wiped(_logger, _stage.Name, peer.Name);
        }
    }

    /// <summary>
    /// A peer removed at runtime (already out of the stage's table and marked removed): its sessions stop at once (their
    /// indices are freed, their keys wiped after the grace period), its handshake is cleared, what waited for it is
    /// dropped, and its own keys are wiped once no other thread can still hold it.
    /// </summary>
    internal void RemovePeer(WireGuardPeer peer, long now)
    {
        while (true)
        {
            KeypairSet set = peer.Keypairs;
            if (peer.TrySwapKeypairs(set, KeypairSet.Empty))
            {
                Retire(set.Current, now);
                Retire(set.Previous, now);
                Retire(set.Next, now);
                break;
            }
        }

        ReleaseHandshakeIndex(peer);
        peer.Handshake.Clear();
        peer.RetransmitAtMs = 0;
        int dropped = peer.Staged.Clear();
        Counters.Drop(WireGuardDropReasons.RemovedPeer, dropped);
        _dying.Enqueue((peer, now));
    }

    /// <summary>Wipes <paramref name="item"/> (old key material) after the grace period other threads may still use it in.</summary>
    internal void DisposeLater(IDisposable item, long now) => _dying.Enqueue((item, now));

    /// <summary>
    /// Our private key changed (wireguard-go's SetPrivateKey): the peer's identity is the one derived from the new key, its
    /// handshake under way is dropped, and its sessions can no longer send (receiving goes on until they are replaced), so
    /// its next packet starts a handshake with the new key at once.
    /// </summary>
    internal void Rekey(WireGuardPeer peer, RemoteIdentity identity, long now)
    {
        peer.ReplaceIdentity(identity).Dispose();
        ReleaseHandshakeIndex(peer);
        peer.Handshake.Clear();
        peer.RetransmitAtMs = 0;
        peer.LastInitiationSentMs = 0;
        KeypairSet set = peer.Keypairs;
        set.Current?.ExpireSending();
        set.Next?.ExpireSending();
        if (peer.Staged.Count > 0 || peer.PersistentKeepaliveMs > 0)
        {
            SendInitiation(peer, retry: false, now);
        }
    }

    /// <summary>A new preshared key: used from the next handshake on; sessions stay (as in wireguard-go).</summary>
    internal static void ReplaceIdentity(WireGuardPeer peer, RemoteIdentity identity) => peer.ReplaceIdentity(identity).Dispose();

    /// <summary>Persistent keepalive was just turned on: one keepalive now (as wireguard-go does), starting a handshake if needed.</summary>
    internal void KeepaliveNow(WireGuardPeer peer, long now)
    {
        if (!peer.IsRemoved)
        {
            SendKeepalive(peer, now);
        }
    }

    private void ReleaseHandshakeIndex(WireGuardPeer peer)
    {
        if (peer.HandshakeEntry is { } entry)
        {
            _stage.Indices.Remove(peer.HandshakeIndex, entry);
            peer.HandshakeEntry = null;
            peer.HandshakeIndex = 0;
        }
    }

    private void Retire(Keypair? keypair, long now)
    {
        if (keypair is not null)
        {
            Forget(keypair, now);
        }
    }

    /// <summary>Stops accepting a session's messages at once; its keys are wiped after a grace period.</summary>
    private void Forget(Keypair keypair, long now)
    {
        if (_stage.Indices.TryGet(keypair.LocalIndex, out IndexEntry? entry) && ReferenceEquals(entry.Keypair, keypair))
        {
            _stage.Indices.Remove(keypair.LocalIndex, entry);
        }

        _retiring.Enqueue((keypair, now));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "WireGuard '{Stage}': handshake with {Peer} at {Endpoint} completed (we initiated)")]
        public static partial void Completed(ILogger logger, string stage, string peer, string endpoint);

        [LoggerMessage(EventId = 511, Level = LogLevel.Information, Message = "WireGuard '{Stage}': answered the handshake of {Peer} from {Endpoint}")]
        public static partial void Responded(ILogger logger, string stage, string peer, string endpoint);

        [LoggerMessage(EventId = 512, Level = LogLevel.Information, Message = "WireGuard '{Stage}': {Peer} is under load and sent us a cookie; the next initiation carries MAC2")]
        public static partial void CookieReceived(ILogger logger, string stage, string peer);

        [LoggerMessage(EventId = 513, Level = LogLevel.Warning, Message = "WireGuard '{Stage}': no answer from {Peer} after {Attempts} retries of its initiation; gave up, dropping {Dropped} staged packets")]
        public static partial void GaveUp(ILogger logger, string stage, string peer, int attempts, int dropped);

        [LoggerMessage(EventId = 514, Level = LogLevel.Information, Message = "WireGuard '{Stage}': nothing heard from {Peer} for 15 s after sending; starting a new handshake")]
        public static partial void Silent(ILogger logger, string stage, string peer);

        [LoggerMessage(EventId = 515, Level = LogLevel.Information, Message = "WireGuard '{Stage}': {Peer} silent for 540 s; its session keys are wiped")]
        public static partial void Wiped(ILogger logger, string stage, string peer);

        [LoggerMessage(EventId = 516, Level = LogLevel.Error, Message = "WireGuard '{Stage}': the handshake loop failed; it goes on")]
        public static partial void LoopFailed(ILogger logger, Exception exception, string stage);
    }
}
