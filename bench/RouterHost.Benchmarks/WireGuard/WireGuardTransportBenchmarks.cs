using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RouterHost.Abstractions;
using RouterHost.Underlay;
using RouterHost.WireGuard.Stage;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// The WireGuard stage's data path, one batch of 64 IPv4 packets per operation, on loopback:
/// <list type="bullet">
/// <item><c>Send</c>: the worker encrypts the batch in place for the peer and sends it (one <c>sendmmsg</c>, UDP GSO),
/// beside the baseline of sending the same 64 plaintext datagrams through the same <see cref="UdpBatchSender"/>.</item>
/// <item><c>Receive</c>: the worker authenticates, replay-checks and decrypts 64 transport messages in place into their
/// packets, beside the baseline of only copying the 64 sealed messages into the batch (which the decrypting run also
/// does first, since decryption destroys them). After the first lap the replay window refuses the reused counters;
/// the work measured — lookup, AEAD open, window check — is the same.</item>
/// </list>
/// Divide by 64 for per-packet figures. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class WireGuardTransportBenchmarks
{
    private const int Packets = 64;
    private const int Slot = 2048;
    private const int Headroom = 64;
    private WireGuardBenchSession _session = null!;
    private IStageWorker _worker = null!;
    private UdpBatchSender _plainSender = null!;
    private readonly DropTally _drops = new();
    private readonly PacketBatch _batch = new(Packets);
    private byte[] _buffer = null!;
    private byte[] _sealed = null!;
    private int[] _sealedLength = null!;

    [Params(64, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _session = new WireGuardBenchSession();
        _worker = _session.Stage.CreateWorker(0);
        _plainSender = new UdpBatchSender(_session.Stage.SocketFor(0, ipv6: false)!, 1024);
        _buffer = GC.AllocateArray<byte>(Packets * Slot, pinned: true);
        _sealed = GC.AllocateArray<byte>(Packets * Slot, pinned: true);
        _sealedLength = new int[Packets];
        for (int i = 0; i < Packets; i++)
        {
            _sealedLength[i] = _session.SealFromPeer(_sealed.AsSpan(i * Slot, Slot), Size);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _worker.Dispose();
        _session.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Send")]
    public int Send_Plaintext_Baseline()
    {
        UdpEndpoint sink = _session.SinkEndpoint;
        for (int i = 0; i < Packets; i++)
        {
            _plainSender.TryAdd(sink, _buffer.AsSpan((i * Slot) + Headroom, Size + 32));
        }

        int sent = _plainSender.Flush(_drops);
        _drops.Clear();
        return sent;
    }

    [Benchmark, BenchmarkCategory("Send")]
    public void Send_Encrypted()
    {
        PacketBatch batch = _batch;
        batch.Clear();
        batch.Direction = PacketDirection.Outbound;
        PortId peer = _session.Peer.Port;
        for (int i = 0; i < Packets; i++)
        {
            Span<byte> packet = _buffer.AsSpan((i * Slot) + Headroom, Size);
            packet[0] = 0x45;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (ushort)Size);
            ref Packet p = ref batch.Append(_buffer.AsMemory(i * Slot, Slot), Headroom, Size);
            p.Egress = peer;
        }

        _worker.Process(batch);
        _worker.EndBatch(); // as the runner ends every batch: the sends leave here
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Receive")]
    public void Receive_CopyOnly_Baseline() => FillInbound();

    [Benchmark, BenchmarkCategory("Receive")]
    public void Receive_Decrypted()
    {
        FillInbound();
        _worker.Process(_batch);
        _worker.EndBatch();
    }

    private void FillInbound()
    {
        PacketBatch batch = _batch;
        batch.Clear();
        batch.Direction = PacketDirection.Inbound;
        for (int i = 0; i < Packets; i++)
        {
            int length = _sealedLength[i];
            _sealed.AsSpan(i * Slot, length).CopyTo(_buffer.AsSpan((i * Slot) + Headroom));
            ref Packet p = ref batch.Append(_buffer.AsMemory(i * Slot, Slot), Headroom, length);
            p.SourceSlot = (ushort)i;
        }
    }
}
