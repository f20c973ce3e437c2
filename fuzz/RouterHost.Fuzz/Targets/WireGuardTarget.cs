using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.Fuzz.Targets;

/// <summary>
/// Datagrams arriving at a real WireGuard stage (on a loopback socket, with one configured peer that this target plays
/// with the protocol code and that already has a session): the worker's receive classification (message type and size,
/// MAC1, the handshake queue, transport: receiver index, counter limit, authentication, replay window, the inner
/// packet's length), then the handshake thread's round over what was queued (MAC2 and cookies under load, Noise
/// initiation and response, cookie replies, timers). Each record of the input (<see cref="FuzzInput"/>) is one datagram,
/// its control byte saying how the played peer makes it: 0 = the bytes as they are; 1 = the bytes with MAC1 (and MAC2)
/// computed, so a mutated handshake message passes the MAC check; 2 = a transport message on the session: 8 bytes of
/// counter, then the plaintext, sealed, so the replay window and the inner-packet checks see authenticated data;
/// 3 = a genuine initiation XORed with the bytes, MACs computed. A control byte with bit 2 set also floods the
/// handshake queue with copies of that datagram (when it is an initiation or response of its size), so the round
/// runs under load: MAC2 checks, cookie replies (which the played peer takes, so its next messages carry a valid MAC2)
/// and the per-source rate limit; such a run happens 2 s before the others, so the next one is no longer under load.
/// Invariants: every datagram is consumed, dropped with a
/// WireGuard reason, or delivered as an IP packet of its own length from the peer; consumed datagrams are exactly the
/// handshake messages queued plus keepalives; the handshake round never throws.
/// </summary>
internal sealed class WireGuardTarget : IFuzzTarget, IDisposable
{
    public const string TargetName = "wireguard";

    private const int MaxDatagrams = 16;
    private const int FloodCopies = 32;
    private const int Headroom = 64;
    private const int SlotSize = Headroom + 4096 + 64;
    private const long Now = 1_000_000;

    // A run that floods the handshake queue happens this long before the others: the stage stays under load for a
    // second after a flood, and with one fixed clock it would never leave that state again.
    private const long FloodEarlierMs = 2 * HandshakeLoop.UnderLoadHoldMs;

    private readonly byte[] _buffer = GC.AllocateArray<byte>(MaxDatagrams * SlotSize, pinned: true);
    private readonly PacketBatch _batch = new(MaxDatagrams) { Direction = PacketDirection.Inbound };
    private readonly WireGuardStage _stage;
    private readonly WireGuardWorker _worker;
    private readonly LocalIdentity _peerIdentity = new(KeyAgreementAlgorithm.X25519.GenerateKey());
    private readonly RemoteIdentity _stageIdentity;
    private readonly CookieGenerator _cookies;
    private readonly Handshake _handshake = new();
    private readonly Handshake _spareHandshake = new();
    private readonly Keypair _session;
    private readonly Socket _socket;
    private readonly byte[] _message = new byte[4096];
    private uint _nextIndex = 0x1000;
    private long _now = Now;

    public WireGuardTarget()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 5000;
        int peerPort = ((IPEndPoint)_socket.LocalEndPoint!).Port;

        _stage = LoopbackStage.Create(WireGuardKey.Format(_peerIdentity.PublicKey), peerPort, ["10.5.0.0/16", "fd05::/64"], batchSize: MaxDatagrams);
        _stage.Clock = () => _now;
        _worker = (WireGuardWorker)_stage.CreateWorker(0);
        _sparseOrder = new SparseFlowOrder(MaxDatagrams);
        if (!RemoteIdentity.TryCreate(_peerIdentity, _stage.Local.PublicKey, [], out RemoteIdentity? stageIdentity))
        {
            throw new InvalidOperationException("the stage's public key yields no shared secret");
        }

        _stageIdentity = stageIdentity!;
        _cookies = new CookieGenerator(_stageIdentity);
        _session = EstablishSession();
    }

    public string Name => TargetName;

    /// <summary>
    /// The send path's flow classifier over the same bytes taken as IP packets (<see cref="SparseFlowOrder"/>: its
    /// header reads): never throws, and its order is a permutation of the batch with every sparse packet first.
    /// </summary>
    private void CheckSparseFlowOrder()
    {
        int sparse = _sparseOrder.Order(_batch.AsSpan());
        if (sparse == 0)
        {
            return;
        }

        Span<bool> seen = stackalloc bool[MaxDatagrams];
        ReadOnlySpan<int> positions = _sparseOrder.Positions;
        for (int k = 0; k < _batch.Count; k++)
        {
            int i = positions[k];
            if ((uint)i >= (uint)_batch.Count || seen[i] || (k > 0 && k != sparse && positions[k - 1] > i))
            {
                throw new InvariantViolationException($"sparse-first order is not a permutation kept in order within each part (position {k}: {i})");
            }

            seen[i] = true;
        }
    }

    /// <summary>Cookie replies the stage sent (under load), to show the target reaches that path.</summary>
    internal long CookieRepliesSent => _stage.Loop.Counters.CookieRepliesSent;

    /// <summary>Transport messages the stage authenticated.</summary>
    internal long TransportsAccepted => _worker.Counters.TransportsAccepted;

    public string Description => "WireGuard datagrams into a real stage: receive classification, MAC1/MAC2, cookies, handshake initiation/response, transport and the replay window; the send path's sparse-flow classifier over the same bytes";

    private readonly SparseFlowOrder _sparseOrder;

    public void Run(ReadOnlySpan<byte> input)
    {
        _batch.Clear();
        _batch.Direction = PacketDirection.Inbound;
        var records = new FuzzInput(input);
        int flood = -1;
        while (_batch.Count < MaxDatagrams && records.TryNext(out byte control, out ReadOnlySpan<byte> bytes))
        {
            int slot = _batch.Count * SlotSize;
            Span<byte> room = _buffer.AsSpan(slot + Headroom, SlotSize - Headroom - 64);
            int length = Make(control, bytes, room);
            if ((control & 4) != 0)
            {
                flood = _batch.Count;
            }

            ref Packet p = ref _batch.Append(_buffer, slot + Headroom, length);
            p.IngressQueue = 0;
            p.SourceSlot = default; // the receive slot whose source is the played peer's socket
        }

        CheckSparseFlowOrder();
        _now = flood >= 0 ? Now - FloodEarlierMs : Now;
        if (flood >= 0)
        {
            Flood(_batch[flood].Data);
        }

        WireGuardCounters counters = _worker.Counters;
        long queuedBefore = counters.HandshakesQueued;
        long keepalivesBefore = counters.Keepalives;
        _worker.Process(_batch);
        _worker.EndBatch();
        int consumed = 0;
        foreach (ref Packet p in _batch.AsSpan())
        {
            switch (p.Verdict)
            {
                case PacketVerdict.Consumed:
                    consumed++;
                    break;
                case PacketVerdict.Dropped:
                    InvariantViolationException.Check(p.DropReason.Name.StartsWith("wireguard.", StringComparison.Ordinal), $"a refused datagram has a WireGuard reason (got '{p.DropReason.Name}')");
                    break;
                case PacketVerdict.Forward:
                    InvariantViolationException.Check(p.Ingress == _stage.Peers[0].Port, "a delivered packet comes from the peer");
                    InvariantViolationException.Check(IsIpPacketOfItsLength(p.Data), "a delivered packet is an IP packet of its own length");
                    break;
                default:
                    throw new InvariantViolationException($"a datagram ends {p.Verdict}");
            }
        }

        InvariantViolationException.Check(
            consumed == (counters.HandshakesQueued - queuedBefore) + (counters.Keepalives - keepalivesBefore),
            "consumed datagrams are exactly the queued handshake messages and the keepalives");
        _stage.Loop.RunOnce(_now);
        TakeCookieReplies();
    }

    public IEnumerable<KeyValuePair<string, byte[]>> Seeds()
    {
        byte[] inner = SeedPackets.Udp(ipv6: false, 20);
        inner[12] = 10;
        inner[13] = 5;
        inner[14] = 0;
        inner[15] = 2;
        SeedPackets.FixChecksums(inner);
        byte[] initiation = new byte[MessageLayout.InitiationSize];
        initiation[0] = 1;
        byte[] response = new byte[MessageLayout.ResponseSize];
        response[0] = 2;
        byte[] cookie = new byte[MessageLayout.CookieReplySize];
        cookie[0] = 3;
        yield return new("transport-ipv4", FuzzInput.Records((2, [1, 0, 0, 0, 0, 0, 0, 0, .. inner])));
        yield return new("transport-keepalive", FuzzInput.Records((2, [2, 0, 0, 0, 0, 0, 0, 0])));
        yield return new("transport-padded-ipv6", FuzzInput.Records((2, [3, 0, 0, 0, 0, 0, 0, 0, .. SeedPackets.Icmp(ipv6: true, 128, 0, [1, 2, 3, 4]), 0, 0, 0, 0, 0, 0, 0, 0])));
        yield return new("genuine-initiation", FuzzInput.Records((3, [])));
        yield return new("initiation-with-macs", FuzzInput.Records((1, initiation)));
        yield return new("response-with-macs", FuzzInput.Records((1, response)));
        yield return new("cookie-reply", FuzzInput.Records((0, cookie)));
        yield return new("flood-initiations", FuzzInput.Records((3 | 4, []), (3, [])));
        yield return new("mixed", FuzzInput.Records((2, [9, 0, 0, 0, 0, 0, 0, 0, .. inner]), (0, [4, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, .. new byte[32]]), (1, initiation), (2, [9, 0, 0, 0, 0, 0, 0, 0])));
    }

    public void Dispose()
    {
        _worker.Dispose();
        _stage.Dispose();
        _session.Dispose();
        _handshake.Dispose();
        _spareHandshake.Dispose();
        _cookies.Dispose();
        _stageIdentity.Dispose();
        _peerIdentity.Dispose();
        _socket.Dispose();
    }

    // Copies of a handshake message queued as if a flood had passed MAC1. The stage is under load once the queued
    // messages would take a second to answer at the measured cost of a handshake; with that cost taken as a sixteenth of
    // a second, 32 copies do it (the half-full-queue rule would take 2 048 copies a run, ten times the run's work).
    private void Flood(ReadOnlySpan<byte> message)
    {
        MessageType type = MessageLayout.TypeOf(message);
        if ((type != MessageType.Initiation && type != MessageType.Response) || message.Length != MessageLayout.HandshakeSize(type))
        {
            return;
        }

        _stage.Loop.AssumeHandshakeCost(System.Diagnostics.Stopwatch.Frequency / 16);
        UdpReceiveQueue source = _stage.SourceAt(0)!;
        for (int i = 0; i < FloodCopies; i++)
        {
            _stage.Handshakes.TryEnqueue(message, source.Source(0), source.Destination(0), 0, _now);
        }
    }

    // The played peer takes the cookie replies the stage sent it, so its later messages carry a MAC2 the stage accepts.
    private void TakeCookieReplies()
    {
        while (_socket.Available > 0)
        {
            int received = _socket.Receive(_message);
            if (MessageLayout.TypeOf(_message.AsSpan(0, received)) == MessageType.CookieReply)
            {
                _cookies.TryConsumeReply(_message.AsSpan(0, received), Now);
            }
        }
    }

    private static bool IsIpPacketOfItsLength(ReadOnlySpan<byte> packet) =>
        packet.Length switch
        {
            >= 20 when packet[0] >> 4 == 4 => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) == packet.Length,
            >= 40 when packet[0] >> 4 == 6 => 40 + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) == packet.Length,
            _ => false,
        };

    // Writes the datagram a record asks for into room and returns its length.
    private int Make(byte control, ReadOnlySpan<byte> bytes, Span<byte> room)
    {
        switch (control % 4)
        {
            case 1:
            {
                int length = Math.Min(bytes.Length, room.Length);
                bytes[..length].CopyTo(room);
                MessageType type = MessageLayout.TypeOf(room[..length]);
                if ((type == MessageType.Initiation || type == MessageType.Response) && length == MessageLayout.HandshakeSize(type))
                {
                    _cookies.AddMacs(room[..length], Now);
                }

                return length;
            }

            case 2:
            {
                Span<byte> counterBytes = stackalloc byte[8];
                bytes[..Math.Min(8, bytes.Length)].CopyTo(counterBytes);
                ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(counterBytes);
                ReadOnlySpan<byte> plaintext = bytes.Length > 8 ? bytes[8..] : default;
                plaintext = plaintext[..Math.Min(plaintext.Length, room.Length - MessageLayout.TransportOverhead)];
                MessageLayout.WriteTransportHeader(room, _session.RemoteIndex, counter);
                plaintext.CopyTo(room[MessageLayout.TransportHeaderSize..]);
                int length = MessageLayout.TransportOverhead + plaintext.Length;
                AeadAlgorithm.ChaCha20Poly1305.Seal(_session.SendKey, counter, room[MessageLayout.TransportHeaderSize..length], default);
                return length;
            }

            case 3:
            {
                Span<byte> initiation = room[..MessageLayout.InitiationSize];
                if (!NoiseHandshake.CreateInitiation(_peerIdentity, _stageIdentity, _spareHandshake, _nextIndex++, DateTimeOffset.UtcNow, initiation))
                {
                    throw new InvalidOperationException("the played peer could not make an initiation");
                }

                for (int i = 0; i < Math.Min(bytes.Length, initiation.Length); i++)
                {
                    initiation[i] ^= bytes[i];
                }

                if (MessageLayout.TypeOf(initiation) == MessageType.Initiation)
                {
                    _cookies.AddMacs(initiation, Now);
                }

                return initiation.Length;
            }

            default:
            {
                int length = Math.Min(bytes.Length, room.Length);
                bytes[..length].CopyTo(room);
                return length;
            }
        }
    }

    // The played peer initiates over the real sockets; the stage answers; a keepalive confirms the session on both sides.
    private Keypair EstablishSession()
    {
        var stageEndpoint = new IPEndPoint(IPAddress.Loopback, _stage.ListenPort);
        byte[] initiation = new byte[MessageLayout.InitiationSize];
        if (!NoiseHandshake.CreateInitiation(_peerIdentity, _stageIdentity, _handshake, _nextIndex++, DateTimeOffset.UtcNow, initiation))
        {
            throw new InvalidOperationException("the played peer could not make an initiation");
        }

        _cookies.AddMacs(initiation, Now);
        _socket.SendTo(initiation, stageEndpoint);
        ReceiveAtStage();
        _stage.Loop.RunOnce(Now);
        int received = _socket.Receive(_message);
        byte[] response = _message[..received];
        if (MessageLayout.TypeOf(response) != MessageType.Response
            || NoiseHandshake.TryConsumeResponse(_peerIdentity, _stageIdentity, _handshake, response) != HandshakeOutcome.Accepted)
        {
            throw new InvalidOperationException("the stage did not answer the played peer's initiation with a valid response");
        }

        Keypair session = NoiseHandshake.DeriveKeypair(_handshake, Now) ?? throw new InvalidOperationException("no session derived");
        byte[] keepalive = new byte[MessageLayout.TransportOverhead];
        if (!session.TryReserveCounter(out ulong counter))
        {
            throw new InvalidOperationException("a new session has no counter");
        }

        MessageLayout.WriteTransportHeader(keepalive, session.RemoteIndex, counter);
        AeadAlgorithm.ChaCha20Poly1305.Seal(session.SendKey, counter, keepalive.AsSpan(MessageLayout.TransportHeaderSize), default);
        _socket.SendTo(keepalive, stageEndpoint);
        ReceiveAtStage();
        if (_worker.Counters.Keepalives != 1)
        {
            throw new InvalidOperationException("the stage did not take the played peer's keepalive");
        }

        return session;
    }

    private void ReceiveAtStage()
    {
        _batch.Clear();
        if (!_stage.Sources[0].Read(_batch))
        {
            throw new InvalidOperationException("the stage's socket is closed");
        }

        _batch.Direction = PacketDirection.Inbound;
        foreach (ref Packet p in _batch.AsSpan())
        {
            p.Ingress = PortId.None;
            p.IngressQueue = 0;
        }

        _worker.Process(_batch);
        _worker.EndBatch();
    }
}
