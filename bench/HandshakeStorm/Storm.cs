using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.HandshakeStorm;

/// <summary>
/// The storm: every peer's first initiation is made beforehand, then all are sent at once; each peer then behaves as
/// wireguard-go does — a response completes its handshake, answered at once by a keepalive (the first transport message,
/// which confirms the hub's session); a cookie reply is kept and the next initiation carries MAC2; an unanswered
/// initiation is sent again after REKEY_TIMEOUT (5 s) plus up to a third of a second of jitter.
/// </summary>
internal static class Storm
{
    public static StormResult Run(Options options)
    {
        string[] keys = File.ReadAllLines(Path.Combine(options.Directory, "peers.keys"));
        string hubText = File.ReadAllText(Path.Combine(options.Directory, "hub.pub")).Trim();
        var hubKey = new byte[32];
        if (!WireGuardKey.TryParse(hubText, hubKey, out string? problem))
        {
            throw new ArgumentException($"{options.Directory}/hub.pub: {problem}");
        }

        int count = options.Peers == 0 ? keys.Length : Math.Min(options.Peers, keys.Length);
        var peers = new StormPeer[count];
        var secret = new byte[32];
        for (int i = 0; i < count; i++)
        {
            if (!WireGuardKey.TryParse(keys[i], secret, out problem))
            {
                throw new ArgumentException($"{options.Directory}/peers.keys line {i + 1}: {problem}");
            }

            peers[i] = new StormPeer(i, KeyAgreementAlgorithm.X25519.ImportPrivateKey(secret), hubKey, options.Bind, options.Hub!);
        }

        CryptographicOperations.ZeroMemory(secret);
        var clock = Stopwatch.StartNew();
        foreach (StormPeer peer in peers)
        {
            peer.Prepare(clock.ElapsedMilliseconds);
        }

        long started = Stopwatch.GetTimestamp();
        foreach (StormPeer peer in peers)
        {
            peer.SendPrepared(clock.ElapsedMilliseconds);
        }

        foreach (StormPeer peer in peers)
        {
            peer.StartReceiving(clock);
        }

        long deadline = clock.ElapsedMilliseconds + (options.TimeoutSeconds * 1000L);
        while (clock.ElapsedMilliseconds < deadline && Array.Exists(peers, p => !p.Done))
        {
            Thread.Sleep(10);
            long now = clock.ElapsedMilliseconds;
            foreach (StormPeer peer in peers)
            {
                peer.RetryIfDue(now);
            }
        }

        var result = new StormResult(peers, started);
        if (options.DataSeconds > 0 && result.Completed == result.Peers)
        {
            result.Data = DataPhase.Run(peers, options);
        }

        foreach (StormPeer peer in peers)
        {
            peer.Dispose();
        }

        return result;
    }
}

/// <summary>What one storm measured.</summary>
internal sealed class StormResult
{
    private readonly double[] _completedMs;

    public StormResult(StormPeer[] peers, long startedTimestamp)
    {
        Peers = peers.Length;
        var completed = new List<double>();
        foreach (StormPeer peer in peers)
        {
            CookieReplies += peer.CookieReplies;
            Retries += peer.Retries;
            Initiations += peer.Initiations;
            if (peer.CompletedTimestamp is long done)
            {
                completed.Add(Stopwatch.GetElapsedTime(startedTimestamp, done).TotalMilliseconds);
            }
        }

        completed.Sort();
        _completedMs = [.. completed];
        Completed = completed.Count;
    }

    public int Peers { get; }

    public int Completed { get; }

    public long CookieReplies { get; }

    public long Retries { get; }

    public long Initiations { get; }

    /// <summary>What the data phase sent (when it ran).</summary>
    public DataResult? Data { get; set; }

    public string Format()
    {
        double Quantile(double q) => _completedMs.Length == 0 ? double.NaN : _completedMs[Math.Min(_completedMs.Length - 1, (int)(q * _completedMs.Length))];
        double last = _completedMs.Length == 0 ? double.NaN : _completedMs[^1];
        return string.Create(
            CultureInfo.InvariantCulture,
            $"peers={Peers} completed={Completed} failed={Peers - Completed} first_to_last_ms={last:F1} p50_ms={Quantile(0.5):F1} p90_ms={Quantile(0.9):F1} initiations={Initiations} retries={Retries} cookie_replies={CookieReplies}{Data?.Format()}");
    }
}

/// <summary>One played peer: its keys, its socket (its own UDP port), its handshake with the hub, and what happened.</summary>
internal sealed class StormPeer : IDisposable
{
    private readonly Lock _lock = new();
    private readonly LocalIdentity _identity;
    private readonly RemoteIdentity _hub;
    private readonly CookieGenerator _cookies;
    private readonly Handshake _handshake = new();
    private readonly Socket _socket;
    private readonly IPEndPoint _hubEndpoint;
    private readonly byte[] _initiation = new byte[MessageLayout.InitiationSize];
    private readonly uint _indexBase;
    private uint _index;
    private long _retryAtMs;
    private Keypair? _session;

    public StormPeer(int number, X25519PrivateKey key, byte[] hubKey, IPAddress bind, IPEndPoint hub)
    {
        _identity = new LocalIdentity(key);
        if (!RemoteIdentity.TryCreate(_identity, hubKey, [], out RemoteIdentity? identity))
        {
            throw new ArgumentException("the hub's public key is not a usable X25519 key");
        }

        _hub = identity!;
        _cookies = new CookieGenerator(_hub);
        _hubEndpoint = hub;
        _indexBase = (uint)number << 8;
        HubAddress = hub.Serialize();
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(bind, 0));
    }

    public bool Done => Volatile.Read(ref _completed) != 0;

    /// <summary>The peer's number (its overlay address is <see cref="Program.OverlayAddress"/> of it).</summary>
    public int Number => (int)(_indexBase >> 8);

    /// <summary>
    /// Seals <paramref name="message"/>[16..16+<paramref name="length"/>] (padded to 16, room for the tag after it) on
    /// the session and sends it to the hub from this peer's socket; false when the session has no counter left.
    /// </summary>
    public bool SendData(Span<byte> message, int length, SocketAddress hub)
    {
        Keypair? session = _session;
        if (session is null || !session.TryReserveCounter(out ulong counter))
        {
            return false;
        }

        int padded = (length + 15) & ~15;
        message.Slice(MessageLayout.TransportHeaderSize + length, padded - length).Clear();
        int total = MessageLayout.TransportHeaderSize + padded + MessageLayout.TagSize;
        MessageLayout.WriteTransportHeader(message, session.RemoteIndex, counter);
        AeadAlgorithm.ChaCha20Poly1305.Seal(session.SendKey, counter, message[MessageLayout.TransportHeaderSize..total], default);
        _socket.SendTo(message[..total], SocketFlags.None, hub);
        return true;
    }

    private int _completed;

    public long? CompletedTimestamp { get; private set; }

    /// <summary>The hub's endpoint as a socket address (sends without allocating).</summary>
    public SocketAddress HubAddress { get; }

    public int CookieReplies { get; private set; }

    public int Retries { get; private set; }

    public int Initiations { get; private set; }

    /// <summary>Makes the first initiation (its Diffie-Hellman work done before the storm starts).</summary>
    public void Prepare(long nowMs)
    {
        lock (_lock)
        {
            MakeInitiation(nowMs);
        }
    }

    public void SendPrepared(long nowMs)
    {
        lock (_lock)
        {
            Send(nowMs);
        }
    }

    public void StartReceiving(Stopwatch clock) => _ = ReceiveLoop(clock);

    /// <summary>REKEY_TIMEOUT: an initiation unanswered for 5 s (+ jitter) is made and sent again, as wireguard-go does.</summary>
    public void RetryIfDue(long nowMs)
    {
        lock (_lock)
        {
            if (_completed == 0 && nowMs >= _retryAtMs)
            {
                Retries++;
                MakeInitiation(nowMs);
                Send(nowMs);
            }
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        lock (_lock)
        {
            _session?.Dispose();
            _handshake.Dispose();
            _cookies.Dispose();
            _hub.Dispose();
            _identity.Dispose();
        }
    }

    private void MakeInitiation(long nowMs)
    {
        _index = _indexBase | ((_index + 1) & 0xff);
        if (!NoiseHandshake.CreateInitiation(_identity, _hub, _handshake, _index, DateTimeOffset.UtcNow, _initiation))
        {
            throw new InvalidOperationException("could not make an initiation");
        }

        _cookies.AddMacs(_initiation, nowMs);
    }

    private void Send(long nowMs)
    {
        Initiations++;
        _retryAtMs = nowMs + ProtocolLimits.RekeyTimeoutMs + RandomNumberGenerator.GetInt32(ProtocolLimits.RekeyTimeoutJitterMaxMs);
        _socket.SendTo(_initiation, _hubEndpoint);
    }

    private async Task ReceiveLoop(Stopwatch clock)
    {
        var buffer = new byte[2048];
        EndPoint any = new IPEndPoint(_socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (true)
        {
            int length;
            try
            {
                SocketReceiveFromResult received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any).ConfigureAwait(false);
                length = received.ReceivedBytes;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                return;
            }

            lock (_lock)
            {
                if (_completed == 0)
                {
                    Handle(buffer.AsSpan(0, length), clock.ElapsedMilliseconds);
                }
            }
        }
    }

    private void Handle(ReadOnlySpan<byte> message, long nowMs)
    {
        switch (MessageLayout.TypeOf(message))
        {
            case MessageType.CookieReply when message.Length == MessageLayout.CookieReplySize && CookieGenerator.ReceiverOf(message) == _index:
                if (_cookies.TryConsumeReply(message, nowMs))
                {
                    CookieReplies++; // the retry (5 s on) carries MAC2, as wireguard-go's does
                }

                break;
            case MessageType.Response when message.Length == MessageLayout.ResponseSize
                && BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.ResponseReceiverOffset..]) == _index:
                if (NoiseHandshake.TryConsumeResponse(_identity, _hub, _handshake, message) == HandshakeOutcome.Accepted
                    && NoiseHandshake.DeriveKeypair(_handshake, nowMs) is { } session)
                {
                    _session = session;
                    SendKeepalive(session);
                    CompletedTimestamp = Stopwatch.GetTimestamp();
                    Volatile.Write(ref _completed, 1);
                }

                break;
        }
    }

    /// <summary>The first transport message: an empty one (a keepalive), which confirms the hub's responder session.</summary>
    private void SendKeepalive(Keypair session)
    {
        var message = new byte[MessageLayout.TransportHeaderSize + 16];
        if (session.TryReserveCounter(out ulong counter))
        {
            MessageLayout.WriteTransportHeader(message, session.RemoteIndex, counter);
            AeadAlgorithm.ChaCha20Poly1305.Seal(session.SendKey, counter, message.AsSpan(MessageLayout.TransportHeaderSize), default);
            _socket.SendTo(message, _hubEndpoint);
        }
    }
}

/// <summary>What the data phase sent.</summary>
internal sealed record DataResult(long Sent, long Bytes, double Seconds, int Peers)
{
    public string Format() => string.Create(CultureInfo.InvariantCulture, $" data_peers={Peers} data_sent={Sent} data_bytes={Bytes} data_seconds={Seconds:F2}");
}

/// <summary>
/// The data phase: the same generator whatever the number of peers — one thread, one IPv4/UDP packet per
/// <c>sendto</c>, datagram k from peer k % N, as fast as the thread can — so a row with 100 peers and a row with one
/// spend the same CPU per packet on this side, and only the hub's per-peer work differs.
/// </summary>
internal static class DataPhase
{
    public static DataResult Run(StormPeer[] peers, Options options)
    {
        int size = options.DataSize;
        var message = new byte[MessageLayout.TransportHeaderSize + size + 16 + MessageLayout.TagSize];
        IPEndPoint to = options.DataTo!;
        // Each peer's inner packet differs only in its source address (and so the header checksum): kept per peer.
        var packets = new byte[peers.Length][];
        for (int i = 0; i < peers.Length; i++)
        {
            packets[i] = InnerPacket(IPAddress.Parse(Program.OverlayAddress(peers[i].Number)), to, size);
        }

        long sent = 0;
        long bytes = 0;
        long started = Stopwatch.GetTimestamp();
        long end = started + (options.DataSeconds * Stopwatch.Frequency);
        int next = 0;
        while (true)
        {
            // The clock is read once per 64 datagrams.
            for (int k = 0; k < 64; k++)
            {
                packets[next].CopyTo(message.AsSpan(MessageLayout.TransportHeaderSize));
                try
                {
                    if (peers[next].SendData(message, size, peers[next].HubAddress))
                    {
                        sent++;
                        bytes += size;
                    }
                }
                catch (SocketException)
                {
                    // ENOBUFS and the like: the datagram is not sent, the generator goes on.
                }

                next = next + 1 == peers.Length ? 0 : next + 1;
            }

            if (Stopwatch.GetTimestamp() >= end)
            {
                break;
            }
        }

        return new DataResult(sent, bytes, Stopwatch.GetElapsedTime(started).TotalSeconds, peers.Length);
    }

    /// <summary>An IPv4/UDP packet of <paramref name="size"/> bytes from <paramref name="source"/> to <paramref name="to"/> (UDP checksum 0: none).</summary>
    private static byte[] InnerPacket(IPAddress source, IPEndPoint to, int size)
    {
        var packet = new byte[size];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)size);
        packet[8] = 64;
        packet[9] = 17;
        source.GetAddressBytes().CopyTo(packet, 12);
        to.Address.GetAddressBytes().CopyTo(packet, 16);
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        }

        sum = (sum & 0xffff) + (sum >> 16);
        sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), (ushort)~sum);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), (ushort)to.Port);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(size - 20));
        return packet;
    }
}
