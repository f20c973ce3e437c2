using Microsoft.Extensions.Logging;
using RouterHost.Underlay;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The stage's control thread: answers handshake messages from the queue the receive lanes fill (MAC2, cookie replies
/// and per-source rate limits when under load), initiates and retries handshakes, installs sessions (handing what was
/// staged for them to a lane: <see cref="WireGuardStage.ReleaseStaged"/>), sends keepalives, evaluates every peer's
/// timers from the stamps the data path leaves, and retires old sessions. Its own sends (handshake messages,
/// keepalives) go on its own sender, flushed at the end of each round: it is not a lane, so no runner flushes for it. It owns every peer's Noise state, so none of that needs a lock. It never runs on the data path.
/// This file holds the loop and the runtime changes; messages received are in <c>HandshakeLoop.Receive.cs</c>, sends
/// in <c>HandshakeLoop.Send.cs</c>, per-peer timers in <c>HandshakeLoop.Timers.cs</c>.
/// </summary>
internal sealed partial class HandshakeLoop : IDisposable
{
    /// <summary>How often timers are evaluated.</summary>
    public const int TickMs = 50;

    /// <summary>
    /// How often every peer is looked at for timers to follow (<see cref="Sweep"/>); in between, only the peers that
    /// have one are (<see cref="_ticking"/>), so 10 000 idle peers cost nothing each tick.
    /// </summary>
    public const int SweepMs = 1000;

    /// <summary>Once under load, the node stays so for a second (wireguard-go's rule).</summary>
    public const long UnderLoadHoldMs = 1000;

    /// <summary>
    /// The node is under load when the handshake thread no longer keeps up: when what is queued would take longer than
    /// this to answer at the measured cost of a handshake.
    /// </summary>
    public const long UnderLoadBacklogMs = 1000;

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
    private readonly Queue<(Keypair Keypair, long RetiredMs)> _retiring = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action<long>> _commands = new();
    private readonly Queue<(IDisposable Item, long RetiredMs)> _dying = new();
    private Thread? _thread;
    private volatile bool _stopping;
    private long _underLoadUntilMs;

    /// <summary>
    /// What answering one handshake message costs this thread, in Stopwatch ticks: an average over rounds of each
    /// round's cheapest handshake (see <see cref="Handle"/>).
    /// </summary>
    private long _handshakeCostTicks = System.Diagnostics.Stopwatch.Frequency / 5_000;

    /// <summary>The cheapest handshake of this round so far (long.MaxValue: none yet).</summary>
    private long _roundCostTicks = long.MaxValue;
    private long _lastTickMs;
    private long _lastSweepMs;
    private bool _swept;

    /// <summary>
    /// The peers with a timer to follow: armed at once where this thread sets one (an initiation's retry, a new
    /// session: <see cref="Arm"/>), found by the sweep otherwise (a persistent keepalive set by a reload); each leaves
    /// when it has none left (<see cref="HasTimers"/>). A stamp the data path leaves needs a session, so its peer is
    /// already here.
    /// </summary>
    private readonly List<WireGuardPeer> _ticking = [];
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

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until every command posted before this call has run, so a change made
    /// off the handshake thread (a new preshared key, a removed peer) is in place when its caller returns — a
    /// <c>wg set</c> followed at once by <c>wg show</c> reads what it set. Returns at once when the thread is not
    /// running (commands then run on <see cref="Dispose"/> or a test's <see cref="RunOnce"/>) or when called on it.
    /// </summary>
    /// <returns>False when the thread did not get to the commands within the timeout.</returns>
    public bool Settle(TimeSpan timeout)
    {
        Thread? thread = _thread;
        if (thread is null || !thread.IsAlive || thread == Thread.CurrentThread || _stopping)
        {
            return true;
        }

        // Not disposed: after a timeout the thread may still set it (no kernel handle is made by Set or a Monitor wait).
        var done = new ManualResetEventSlim(false);
        Post(_ => done.Set());
        return done.Wait(timeout);
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

    /// <summary>How many peers the timer list holds (for tests).</summary>
    internal int TickingCount => _ticking.Count;

    /// <summary>Puts <paramref name="peer"/> on the timer list (this thread only).</summary>
    private void Arm(WireGuardPeer peer)
    {
        if (!peer.Ticking)
        {
            peer.Ticking = true;
            _ticking.Add(peer);
        }
    }

    /// <summary>Arms every peer that has a timer and is not on the list yet.</summary>
    private void Sweep()
    {
        foreach (WireGuardPeer p in _stage.Peers)
        {
            if (!p.Ticking && !p.IsRemoved && HasTimers(p))
            {
                Arm(p);
            }
        }
    }

    /// <summary>Whether any of <see cref="Tick"/>'s timers can fire for <paramref name="peer"/>.</summary>
    private static bool HasTimers(WireGuardPeer peer) =>
        peer.RetransmitAtMs != 0
        || peer.LastSessionDerivedMs != 0
        || peer.PersistentKeepaliveMs > 0
        || Volatile.Read(ref peer.NewHandshakePendingSinceMs) != 0
        || Volatile.Read(ref peer.KeepalivePendingSinceMs) != 0;

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
        while (handled < 1024 && _stage.Handshakes.TryDequeue(_message, out int length, out UdpEndpoint source, out UdpEndpoint destination, out int sourceQueue, out long received))
        {
            handled++;
            Counters.HandshakeMessagesHandled++;
            Handle(_message.AsSpan(0, length), source, destination, sourceQueue, Math.Max(now, received));
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
        }

        if (now - _lastTickMs >= TickMs)
        {
            _lastTickMs = now;
            if (!_swept || now - _lastSweepMs >= SweepMs)
            {
                _swept = true;
                _lastSweepMs = now;
                Sweep();
            }

            // In list order, keeping the peers that still have a timer (a Tick may arm its own peer: already here).
            int kept = 0;
            for (int i = 0; i < _ticking.Count; i++)
            {
                WireGuardPeer p = _ticking[i];
                if (!p.IsRemoved)
                {
                    Tick(p, now);
                    if (HasTimers(p))
                    {
                        _ticking[kept++] = p;
                        continue;
                    }
                }

                p.Ticking = false;
            }

            _ticking.RemoveRange(kept, _ticking.Count - kept);
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

        if (_roundCostTicks != long.MaxValue)
        {
            _handshakeCostTicks += (_roundCostTicks - _handshakeCostTicks) / 4;
            _roundCostTicks = long.MaxValue;
        }

        _sender.Flush();
        if (handled == 1024)
        {
            _wake.Set(); // more are waiting: no sleep before the next round
        }
    }

    /// <summary>
    /// A peer removed at runtime (already out of the stage's table and marked removed): its sessions stop at once (their
    /// indices are freed, their keys wiped after the grace period), its handshake is cleared, what waited for it is
    /// dropped, and its own keys are wiped once no other thread can still hold it.
    /// </summary>
    internal void RemovePeer(WireGuardPeer peer, long now)
    {
        EndSessions(peer, now);
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

    /// <summary>Takes every session of <paramref name="peer"/> out of use (retired: keys wiped after the grace period) and clears its handshake.</summary>
    private void EndSessions(WireGuardPeer peer, long now)
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