using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// One lane's batches carrying the packets of 100 peers against the packets of one peer: the hub's per-peer cost on
/// the data path, apart from any traffic generator. One stage with 100 peers (each its own key, established session,
/// allowed IPs and loopback endpoint: a sink socket of its own) serves both rows; an operation is 32 batches of 64
/// packets of 1420 bytes on one worker, in the 1-peer rows all of peer 0, in the 100-peer rows packet <c>k</c> of the
/// operation of peer <c>k % 100</c> — every packet another peer's, the interleaving a hub's socket sees when 100 peers
/// send at once.
/// <list type="bullet">
/// <item><c>Decrypt</c>: the worker authenticates, replay-checks and decrypts the batches in place (each peer's
/// messages in its own counter order). Each peer's replay window is cleared at the start of an operation, so every
/// message is accepted and the per-peer work behind acceptance (stamps, counters, endpoint) is measured.</item>
/// <item><c>Encrypt</c>: the worker encrypts the batches in place and sends each (<c>EndBatch</c>: one <c>sendmmsg</c>
/// per batch) to the peers' sinks, whose small receive buffers drop what they cannot hold.</item>
/// </list>
/// Figures are per packet (<c>OperationsPerInvoke</c>); the ratio of the 100-peer row to its 1-peer baseline is the
/// per-peer overhead (1.00 = none). Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class WireGuardManyPeersBenchmarks
{
    /// <summary>The peers of the many-peer rows.</summary>
    public const int PeerCount = 100;

    private const int Packets = 64;
    private const int Batches = 32;
    private const int PacketsPerOperation = Packets * Batches;
    private const int Slot = 2048;
    private const int Headroom = 64;
    private const int Size = 1420;

    private readonly List<LocalIdentity> _remotes = [];
    private readonly List<Socket> _sinks = [];
    private WireGuardStage _stage = null!;
    private WireGuardPeer[] _peers = null!;
    private Keypair[] _sessions = null!;
    private IStageWorker _worker = null!;
    private readonly PacketBatch _batch = new(Packets);
    private byte[] _buffer = null!;
    private byte[] _oneSealed = null!;
    private int[] _oneLength = null!;
    private byte[] _manySealed = null!;
    private int[] _manyLength = null!;

    [GlobalSetup]
    public void Setup()
    {
        var configured = new List<LoopbackPeer>(PeerCount);
        for (int i = 0; i < PeerCount; i++)
        {
            var remote = new LocalIdentity(KeyAgreementAlgorithm.X25519.GenerateKey());
            _remotes.Add(remote);
            var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 64 * 1024 };
            sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _sinks.Add(sink);
            configured.Add(new LoopbackPeer($"p{i:D3}", WireGuardKey.Format(remote.PublicKey), ((IPEndPoint)sink.LocalEndPoint!).Port, [$"10.6.{i}.0/24"]));
        }

        _stage = LoopbackStage.Create(configured);
        _peers = new WireGuardPeer[PeerCount];
        _sessions = new Keypair[PeerCount];
        var remoteSessions = new Keypair[PeerCount];
        for (int i = 0; i < PeerCount; i++)
        {
            string name = configured[i].Name;
            _peers[i] = _stage.Peers.Single(p => p.Name == name);
            (_sessions[i], remoteSessions[i]) = LoopbackStage.Establish(_stage, _peers[i], _remotes[i]);
        }

        // The stage's clock stands still from here, as in WireGuardBenchSession: no session ages out mid-run.
        long now = _stage.Now;
        _stage.Clock = () => now;
        _worker = _stage.CreateWorker(0);
        _buffer = GC.AllocateArray<byte>(Packets * Slot, pinned: true);
        (_oneSealed, _oneLength) = SealAll(remoteSessions, peers: 1);
        (_manySealed, _manyLength) = SealAll(remoteSessions, peers: PeerCount);
        foreach (Keypair remote in remoteSessions)
        {
            remote.Dispose();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _worker.Dispose();
        _stage.Dispose();
        foreach (LocalIdentity remote in _remotes)
        {
            remote.Dispose();
        }

        foreach (Socket sink in _sinks)
        {
            sink.Dispose();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Decrypt")]
    public void Decrypt_OnePeer() => Decrypt(_oneSealed, _oneLength, peers: 1);

    [Benchmark(OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Decrypt")]
    public void Decrypt_100Peers() => Decrypt(_manySealed, _manyLength, PeerCount);

    [Benchmark(Baseline = true, OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Encrypt")]
    public void Encrypt_OnePeer() => Encrypt(peers: 1);

    [Benchmark(OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Encrypt")]
    public void Encrypt_100Peers() => Encrypt(PeerCount);

    /// <summary>The operation's messages from the first <paramref name="peers"/> peers, message k from peer k % peers.</summary>
    private static (byte[] Sealed, int[] Length) SealAll(Keypair[] remoteSessions, int peers)
    {
        byte[] sealedMessages = GC.AllocateArray<byte>(PacketsPerOperation * Slot, pinned: true);
        var lengths = new int[PacketsPerOperation];
        for (int k = 0; k < PacketsPerOperation; k++)
        {
            Span<byte> message = sealedMessages.AsSpan(k * Slot, Slot);
            Span<byte> packet = message.Slice(MessageLayout.TransportHeaderSize, Size);
            packet.Clear();
            packet[0] = 0x45;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], Size);
            packet[9] = 17;
            lengths[k] = WireGuardBenchSession.Seal(remoteSessions[k % peers], message, Size);
        }

        return (sealedMessages, lengths);
    }

    private void Decrypt(byte[] sealedMessages, int[] lengths, int peers)
    {
        for (int i = 0; i < peers; i++)
        {
            _sessions[i].Replay.ResetForBenchmark();
        }

        PacketBatch batch = _batch;
        for (int b = 0; b < Batches; b++)
        {
            batch.Clear();
            batch.Direction = PacketDirection.Inbound;
            for (int i = 0; i < Packets; i++)
            {
                int message = (b * Packets) + i;
                int length = lengths[message];
                sealedMessages.AsSpan(message * Slot, length).CopyTo(_buffer.AsSpan((i * Slot) + Headroom));
                ref Packet p = ref batch.Append(_buffer.AsMemory(i * Slot, Slot), Headroom, length);
                p.SourceSlot = (ushort)i;
            }

            _worker.Process(batch);
            _worker.EndBatch();
        }
    }

    private void Encrypt(int peers)
    {
        PacketBatch batch = _batch;
        for (int b = 0; b < Batches; b++)
        {
            batch.Clear();
            batch.Direction = PacketDirection.Outbound;
            for (int i = 0; i < Packets; i++)
            {
                Span<byte> packet = _buffer.AsSpan((i * Slot) + Headroom, Size);
                packet[0] = 0x45;
                System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], Size);
                ref Packet p = ref batch.Append(_buffer.AsMemory(i * Slot, Slot), Headroom, Size);
                p.Egress = _peers[((b * Packets) + i) % peers].Port;
            }

            _worker.Process(batch);
            _worker.EndBatch();
        }
    }
}
