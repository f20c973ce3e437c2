using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Underlay;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// A WireGuard stage on loopback whose clock the test sets, with its receive lane running on a thread as the runner
/// would (reading, processing, ending each batch), but its handshake loop driven by hand (<see cref="Tick"/>), and a peer played by the test with the protocol
/// code on a plain socket (<see cref="Peer"/>). Timers that take minutes run in milliseconds.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class TimerHarness : IDisposable
{
    /// <summary>The handshake loop's timer period: a step of the clock that evaluates timers once.</summary>
    public const long TickMs = HandshakeLoop.TickMs;

    private readonly List<Thread> _receivers = [];
    private readonly WireGuardWorker _sendWorker;
    private readonly byte[] _outbound = GC.AllocateArray<byte>(4096, pinned: true);
    private long _now = 1_000_000;

    /// <param name="persistentKeepalive">The peer's <c>PersistentKeepalive</c> setting, or null.</param>
    /// <param name="peerHasEndpoint">Whether the stage knows the peer's endpoint (else the peer must reach it first).</param>
    /// <param name="sockets">The stage's sockets on its port: one receive lane each (lanes 0.., as the runner's source lanes).</param>
    public TimerHarness(string? persistentKeepalive = null, bool peerHasEndpoint = true, int sockets = 1)
    {
        Peer = new PlayedPeer();
        Stage = LoopbackStage.Create(
            Peer.PublicKeyText,
            peerHasEndpoint ? Peer.Port : null,
            ["10.5.0.0/16"],
            peerSettings: persistentKeepalive is null ? null : new Dictionary<string, string> { ["PersistentKeepalive"] = persistentKeepalive },
            sockets: sockets);
        Stage.Clock = () => Interlocked.Read(ref _now);
        Peer.Connect(Stage);
        for (int i = 0; i < Stage.Sources.Count; i++)
        {
            var worker = (WireGuardWorker)Stage.CreateWorker(i);
            ReceiveWorkers.Add(worker);
            IPacketReader source = Stage.Sources[i];
            var thread = new Thread(() => ReceiveLoop(source, worker)) { IsBackground = true, Name = $"harness receive {i}" };
            _receivers.Add(thread);
            thread.Start();
        }

        _sendWorker = (WireGuardWorker)Stage.CreateWorker(Stage.Sources.Count);
    }

    /// <summary>The receive lanes' workers, one per stage source, in source order.</summary>
    public List<WireGuardWorker> ReceiveWorkers { get; } = [];

    public WireGuardStage Stage { get; }

    public WireGuardPeer StagePeer => Stage.Peers[0];

    public PlayedPeer Peer { get; }

    /// <summary>Decrypted packets the stage delivered (what would go on to routing).</summary>
    public ConcurrentQueue<byte[]> Delivered { get; } = new();

    public long Now => Interlocked.Read(ref _now);

    /// <summary>Moves the clock on by <paramref name="ms"/> and runs the handshake loop once.</summary>
    public void Tick(long ms = 0)
    {
        Interlocked.Add(ref _now, ms);
        Stage.Loop.RunOnce(Now);
    }

    /// <summary>Routes one IPv4 packet of <paramref name="length"/> bytes to the peer through the stage's send path.</summary>
    public PacketVerdict Send(int length = 100)
    {
        Span<byte> packet = _outbound.AsSpan(64, length);
        packet.Clear();
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)length);
        packet[9] = 17;
        var batch = new PacketBatch(4) { Direction = PacketDirection.Outbound };
        ref Packet p = ref batch.Append(_outbound, 64, length);
        p.Egress = StagePeer.Port;
        _sendWorker.Process(batch);
        _sendWorker.EndBatch();
        return batch[0].Verdict;
    }

    /// <summary>Waits until the stage has taken in everything the played peer sent, then runs the loop once.</summary>
    public void Settle()
    {
        Thread.Sleep(100);
        Tick();
    }

    public void Dispose()
    {
        foreach (IPacketReader source in Stage.Sources)
        {
            source.Close();
        }

        foreach (Thread receiver in _receivers)
        {
            receiver.Join(TimeSpan.FromSeconds(5));
        }

        foreach (WireGuardWorker worker in ReceiveWorkers)
        {
            worker.Dispose();
        }

        _sendWorker.Dispose();
        Stage.Dispose();
        Peer.Dispose();
    }

    private void ReceiveLoop(IPacketReader source, WireGuardWorker worker)
    {
        var batch = new PacketBatch(64) { Direction = PacketDirection.Inbound };
        while (true)
        {
            batch.Clear();
            if (!source.Read(batch))
            {
                return;
            }

            batch.Direction = PacketDirection.Inbound;
            foreach (ref Packet p in batch.AsSpan())
            {
                p.Ingress = PortId.None;
                p.IngressQueue = (ushort)source.Index;
            }

            worker.Process(batch);
            worker.EndBatch();
            foreach (ref Packet p in batch.AsSpan())
            {
                if (p.Verdict == PacketVerdict.Forward)
                {
                    Delivered.Enqueue(p.Data.ToArray());
                }
            }
        }
    }

    /// <summary>The other end of the tunnel, played with the protocol code over a plain UDP socket.</summary>
    internal sealed class PlayedPeer : IDisposable
    {
        private readonly Socket _socket;
        private readonly LocalIdentity _identity = new(KeyAgreementAlgorithm.X25519.GenerateKey());
        private RemoteIdentity? _stage;
        private CookieGenerator? _cookies;
        private IPEndPoint? _stageEndpoint;
        private uint _nextIndex = 0x1000;

        public PlayedPeer()
        {
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _socket.ReceiveTimeout = 2000;
            Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        }

        public int Port { get; }

        public string PublicKeyText => WireGuardKey.Format(_identity.PublicKey);

        public Handshake Handshake { get; } = new();

        public Keypair? Session { get; private set; }

        public void Connect(WireGuardStage stage)
        {
            Assert.True(RemoteIdentity.TryCreate(_identity, stage.Local.PublicKey, [], out _stage));
            _cookies = new CookieGenerator(_stage!);
            _stageEndpoint = new IPEndPoint(IPAddress.Loopback, stage.ListenPort);
        }

        /// <summary>The next datagram the stage sent us, or null when none comes within the timeout.</summary>
        public byte[]? Receive(int timeoutMs = 2000)
        {
            _socket.ReceiveTimeout = timeoutMs;
            var buffer = new byte[2048];
            try
            {
                int n = _socket.Receive(buffer);
                return buffer[..n];
            }
            catch (SocketException)
            {
                return null;
            }
        }

        /// <summary>Everything the stage sent us that is waiting, by type.</summary>
        public List<byte[]> Drain()
        {
            var all = new List<byte[]>();
            while (Receive(50) is { } datagram)
            {
                all.Add(datagram);
            }

            return all;
        }

        /// <summary>Answers an initiation from the stage, taking the session (as responder).</summary>
        public void Respond(byte[] initiation, long nowMs)
        {
            var pending = new PendingInitiation();
            Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryOpenInitiation(_identity, initiation, pending));
            Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryAcceptInitiation(pending, _stage!, Handshake, initiation, nowMs));
            var response = new byte[MessageLayout.ResponseSize];
            Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.CreateResponse(_stage!, Handshake, _nextIndex++, response));
            _cookies!.AddMacs(response, nowMs);
            Session?.Dispose();
            Session = NoiseHandshake.DeriveKeypair(Handshake, nowMs);
            _socket.SendTo(response, _stageEndpoint!);
        }

        /// <summary>Sends an initiation to the stage.</summary>
        public void Initiate(DateTimeOffset at)
        {
            var initiation = new byte[MessageLayout.InitiationSize];
            Assert.True(NoiseHandshake.CreateInitiation(_identity, _stage!, Handshake, _nextIndex++, at, initiation));
            _cookies!.AddMacs(initiation, 0);
            _socket.SendTo(initiation, _stageEndpoint!);
        }

        /// <summary>Reads the stage's response to our initiation and takes the session (as initiator).</summary>
        public void Complete(byte[] response, long nowMs)
        {
            Assert.Equal(HandshakeOutcome.Accepted, NoiseHandshake.TryConsumeResponse(_identity, _stage!, Handshake, response));
            Session?.Dispose();
            Session = NoiseHandshake.DeriveKeypair(Handshake, nowMs);
        }

        /// <summary>Sends a transport message with <paramref name="plaintext"/> (empty: a keepalive) on our session.</summary>
        public void SendTransport(ReadOnlySpan<byte> plaintext)
        {
            Keypair session = Session ?? throw new InvalidOperationException("no session");
            int padded = plaintext.Length + MessageLayout.PaddingFor(plaintext.Length, 1420);
            var message = new byte[MessageLayout.TransportHeaderSize + padded + 16];
            Assert.True(session.TryReserveCounter(out ulong counter));
            MessageLayout.WriteTransportHeader(message, session.RemoteIndex, counter);
            plaintext.CopyTo(message.AsSpan(MessageLayout.TransportHeaderSize));
            AeadAlgorithm.ChaCha20Poly1305.Seal(session.SendKey, counter, message.AsSpan(MessageLayout.TransportHeaderSize), default);
            _socket.SendTo(message, _stageEndpoint!);
        }

        /// <summary>A 60-byte IPv4 packet from 10.5.0.2 (inside the peer's allowed IPs).</summary>
        public static byte[] InnerPacket()
        {
            var packet = new byte[60];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 60);
            packet[9] = 17;
            packet[12] = 10;
            packet[13] = 5;
            packet[15] = 2;
            return packet;
        }

        /// <summary>Opens a transport message from the stage; the plaintext, or null when it does not authenticate.</summary>
        public byte[]? Open(byte[] message)
        {
            if (Session is null || MessageLayout.TypeOf(message) != MessageType.Transport)
            {
                return null;
            }

            ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(8));
            byte[] body = message[MessageLayout.TransportHeaderSize..];
            return AeadAlgorithm.ChaCha20Poly1305.Open(Session.ReceiveKey, counter, body, default) && Session.Replay.TryAccept(counter) ? body[..^16] : null;
        }

        public void Dispose()
        {
            _socket.Dispose();
            Session?.Dispose();
            Handshake.Dispose();
            _cookies?.Dispose();
            _stage?.Dispose();
            _identity.Dispose();
        }
    }
}
