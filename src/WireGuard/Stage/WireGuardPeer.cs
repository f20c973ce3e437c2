using RouterHost.Abstractions;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// One peer of the stage: its identity, sessions, endpoint and timer state.
/// <para>
/// Threads: the data path reads <see cref="Keypairs"/> and <see cref="Endpoint"/> with one volatile read each and
/// stamps the timer fields (plain volatile writes, or a compare-and-swap when a pending mark goes from 0); it swaps
/// the keypair set only when a responder session is confirmed, and the endpoint only when the peer roams. The
/// handshake thread owns everything else (the Noise state, cookies, retries) and evaluates the timers from the stamps.
/// </para>
/// </summary>
internal sealed class WireGuardPeer : IDisposable
{
    private KeypairSet _keypairs = KeypairSet.Empty;
    private PeerEndpoint? _endpoint;
    private long _persistentKeepaliveMs;
    private RemoteIdentity _identity;
    private PeerConfigurationState _configuration;
    private int _removed;
    private int _handshakeWanted;
    private int _stagedFlushWanted;

    /// <summary>Made on first use (the peer's first handshake message, on the handshake thread): most of a hub's peers are idle.</summary>
    private CookieGenerator? _cookies;

    public WireGuardPeer(int index, PortId port, string name, RemoteIdentity identity, PeerEndpoint? endpoint, long persistentKeepaliveMs)
    {
        Index = index;
        Port = port;
        Name = name;
        _identity = identity;
        _endpoint = endpoint;
        _persistentKeepaliveMs = persistentKeepaliveMs;
        _configuration = PeerConfigurationState.Empty;
    }

    /// <summary>
    /// The peer's slot in the stage's counter arrays: handed out in order and never reused (a peer added at runtime gets
    /// a new one; a removed peer's slot stays dead), so one peer's counts never land on another.
    /// </summary>
    public int Index { get; }

    public PortId Port { get; }

    public string Name { get; }

    /// <summary>
    /// Its static key and what is derived from it and our key (and the preshared key). Replaced by the handshake thread
    /// when the preshared key or our private key changes (the handshake thread is its only user but for status).
    /// </summary>
    public RemoteIdentity Identity => Volatile.Read(ref _identity);

    public long PersistentKeepaliveMs => Volatile.Read(ref _persistentKeepaliveMs);

    /// <summary>What configuration said of it last (allowed IPs, endpoint text, groups...), for diffs and status.</summary>
    public PeerConfigurationState Configuration
    {
        get => Volatile.Read(ref _configuration);
        set => Volatile.Write(ref _configuration, value);
    }

    /// <summary>
    /// Set once the peer is removed at runtime: its packets are refused (<see cref="WireGuardDropReasons.RemovedPeer"/>)
    /// from that moment, before the handshake thread has zeroed its sessions and freed its indices.
    /// </summary>
    public bool IsRemoved => Volatile.Read(ref _removed) != 0;

    public void MarkRemoved() => Volatile.Write(ref _removed, 1);

    /// <summary>A new endpoint from configuration: used from now on (sessions stay, as in wireguard-go); none keeps the current one.</summary>
    public void SetConfiguredEndpoint(PeerEndpoint? endpoint)
    {
        if (endpoint is not null)
        {
            Volatile.Write(ref _endpoint, endpoint);
        }
    }

    public void SetPersistentKeepalive(long ms) => Volatile.Write(ref _persistentKeepaliveMs, ms);

    /// <summary>Replaces the identity (handshake thread only); returns the old one, which the caller disposes.</summary>
    public RemoteIdentity ReplaceIdentity(RemoteIdentity identity) => Interlocked.Exchange(ref _identity, identity);

    // ---- handshake thread only ----

    public Handshake Handshake { get; } = new();

    public CookieGenerator Cookies => _cookies ??= new CookieGenerator(Identity);

    /// <summary>Our index of the handshake under way (0 when none), registered in the index table.</summary>
    public uint HandshakeIndex { get; set; }

    public IndexEntry? HandshakeEntry { get; set; }

    public int HandshakeAttempts { get; set; }

    /// <summary>When the last initiation left (monotonic ms; 0 = never).</summary>
    public long LastInitiationSentMs { get; set; }

    /// <summary>When the pending initiation is retried (0 = none pending).</summary>
    public long RetransmitAtMs { get; set; }

    /// <summary>When the newest session was derived (monotonic ms; 0 = never), for the zero-key-material timer.</summary>
    public long LastSessionDerivedMs { get; set; }

    /// <summary>Whether the handshake thread's timer list holds this peer (<see cref="HandshakeLoop"/>; its thread only).</summary>
    public bool Ticking { get; set; }

    public StagedPackets Staged { get; } = new();

    // ---- shared stamps (monotonic ms) ----

    /// <summary>Last authenticated packet sent (data, keepalive or handshake).</summary>
    public long LastSentMs;

    /// <summary>Last authenticated packet received.</summary>
    public long LastReceivedMs;

    /// <summary>Set (from 0) when data arrives while we have sent nothing since: a keepalive is due 10 s later.</summary>
    public long KeepalivePendingSinceMs;

    /// <summary>Set (from 0) when data is sent while nothing came back: a new handshake is due 15 s later.</summary>
    public long NewHandshakePendingSinceMs;

    /// <summary>Wall-clock time of the latest completed handshake (Unix ms; 0 = never), for <c>routerhost show</c>.</summary>
    public long LatestHandshakeUnixMs;

    // ---- sessions and endpoint ----

    public KeypairSet Keypairs => Volatile.Read(ref _keypairs);

    public PeerEndpoint? Endpoint => Volatile.Read(ref _endpoint);

    /// <summary>Replaces the set if it is still <paramref name="expected"/>.</summary>
    public bool TrySwapKeypairs(KeypairSet expected, KeypairSet replacement) =>
        ReferenceEquals(Interlocked.CompareExchange(ref _keypairs, replacement, expected), expected);

    public void SetEndpoint(PeerEndpoint endpoint) => Volatile.Write(ref _endpoint, endpoint);

    /// <summary>Asks the handshake thread for a new handshake; true if this call asked (not already asked).</summary>
    public bool RequestHandshake() => Volatile.Read(ref _handshakeWanted) == 0 && Interlocked.Exchange(ref _handshakeWanted, 1) == 0;

    public bool TakeHandshakeRequest() => Volatile.Read(ref _handshakeWanted) != 0 && Interlocked.Exchange(ref _handshakeWanted, 0) != 0;

    /// <summary>Asks a lane to send what is staged (a session just became usable); true if this call asked.</summary>
    public bool RequestStagedFlush() => Volatile.Read(ref _stagedFlushWanted) == 0 && Interlocked.Exchange(ref _stagedFlushWanted, 1) == 0;

    public bool TakeStagedFlushRequest() => Volatile.Read(ref _stagedFlushWanted) != 0 && Interlocked.Exchange(ref _stagedFlushWanted, 0) != 0;

    /// <summary>Stamps an authenticated packet sent; clears a pending keepalive.</summary>
    public void OnSent(long nowMs)
    {
        Stamp(ref LastSentMs, nowMs);
        Disarm(ref KeepalivePendingSinceMs);
    }

    /// <summary>Stamps data sent; arms the new-handshake timer unless already armed.</summary>
    public void OnDataSent(long nowMs)
    {
        OnSent(nowMs);
        Arm(ref NewHandshakePendingSinceMs, nowMs);
    }

    /// <summary>Stamps an authenticated packet received; the peer is alive, so no new handshake is due for silence.</summary>
    public void OnReceived(long nowMs)
    {
        Stamp(ref LastReceivedMs, nowMs);
        Disarm(ref NewHandshakePendingSinceMs);
    }

    /// <summary>Stamps data received; arms the keepalive timer unless already armed.</summary>
    public void OnDataReceived(long nowMs)
    {
        OnReceived(nowMs);
        Arm(ref KeepalivePendingSinceMs, nowMs);
    }

    public void Dispose()
    {
        Handshake.Dispose();
        _cookies?.Dispose();
        Identity.Dispose();
        Staged.Clear();
    }

    // The stamps are read far more often than they change (every packet of a batch stamps the same ms): a write only
    // when the value differs keeps the cache line shared between the lanes.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Stamp(ref long stamp, long nowMs)
    {
        if (Volatile.Read(ref stamp) != nowMs)
        {
            Volatile.Write(ref stamp, nowMs);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Disarm(ref long timer)
    {
        if (Volatile.Read(ref timer) != 0)
        {
            Volatile.Write(ref timer, 0);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Arm(ref long timer, long nowMs)
    {
        if (Volatile.Read(ref timer) == 0)
        {
            Interlocked.CompareExchange(ref timer, nowMs, 0);
        }
    }
}
