using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RouterHost.Abstractions;
using RouterHost.WireGuard.Stage;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// One peer, one lane against two: the WireGuard stage's data path for a single peer run by one thread, and the same
/// work split over two threads, each a lane of its own (its own <see cref="WireGuardWorker"/>, batch, buffers and
/// socket) carrying the same peer at once, as when the TUN spreads one peer's flows over two queues. An operation is
/// 32 batches of 64 packets of 1420 bytes: one lane runs all 32, two lanes run 16 each at the same time (lane 0 on
/// the benchmark's thread, lane 1 on a thread started once; one hand-off per operation, none per packet or batch,
/// and neither thread sleeps inside an operation: <see cref="RunBothLanes"/>).
/// <list type="bullet">
/// <item><c>Encrypt</c>: each lane encrypts its batches in place for the peer and sends them (<c>EndBatch</c>: one
/// <c>sendmmsg</c> with UDP GSO per batch) to a loopback sink (UDP GRO on) whose small receive buffer drops what it
/// cannot hold, so the kernel's share stays the send path a real lane pays.</item>
/// <item><c>Decrypt</c>: each lane authenticates, replay-checks and decrypts its transport messages in place; lane 0
/// takes the even batches, lane 1 the odd ones, so the two lanes' counters interleave in the one replay window as
/// one peer's datagrams do. The window is cleared at the start of each operation (lanes idle), so every message is
/// accepted and the per-peer work behind acceptance (stamps, counters, endpoint) is measured.</item>
/// </list>
/// Figures are per packet (<c>OperationsPerInvoke</c>): the two-lane row's ratio to the one-lane row is the inverse of
/// the speed-up (0.5 = twice the packets per second). Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class WireGuardLaneScalingBenchmarks
{
    private const int Packets = 64;
    private const int Batches = 32;
    private const int PacketsPerOperation = Packets * Batches;
    private const int Slot = 2048;
    private const int Headroom = 64;
    private const int Size = 1420;
    private const int SolUdp = 17; // SOL_UDP
    private const int UdpGro = 104; // UDP_GRO, linux/udp.h

    private WireGuardBenchSession _session = null!;
    private Lane[] _lanes = null!;
    private byte[] _sealed = null!;
    private int[] _sealedLength = null!;
    private Thread _helper = null!;
    private readonly ManualResetEventSlim _wake = new(false);
    private int _started; // two-lane operations started (the benchmark's thread)
    private int _finished; // of those, the ones lane 1 finished its half of
    private volatile bool _stop;
    private volatile bool _decrypting;

    [GlobalSetup]
    public void Setup()
    {
        // A 64 KiB receive buffer at the sink: its queue stays full and the rest is dropped on arrival.
        _session = new WireGuardBenchSession(sockets: 2, sinkReceiveBuffer: 64 * 1024);

        // UDP_GRO at the sink: a lane's GSO message is queued (or dropped) whole, as one, instead of being cut into its
        // 64 datagrams first; the two lanes then share no per-datagram kernel work at the sink, as they share none at
        // a real peer's NIC.
        _session.Sink.SetRawSocketOption(SolUdp, UdpGro, BitConverter.GetBytes(1));
        _lanes = [new Lane(_session.Stage, 0), new Lane(_session.Stage, 1)];
        _sealed = GC.AllocateArray<byte>(PacketsPerOperation * Slot, pinned: true);
        _sealedLength = new int[PacketsPerOperation];
        for (int i = 0; i < PacketsPerOperation; i++)
        {
            _sealedLength[i] = _session.SealFromPeer(_sealed.AsSpan(i * Slot, Slot), Size);
        }

        _helper = new Thread(HelperLoop) { IsBackground = true, Name = "lane 1" };
        _helper.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _wake.Set();
        _helper.Join();
        foreach (Lane lane in _lanes)
        {
            lane.Worker.Dispose();
        }

        _session.Dispose();
        _wake.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Encrypt")]
    public void Encrypt_OneLane()
    {
        for (int b = 0; b < Batches; b++)
        {
            Encrypt(_lanes[0]);
        }
    }

    [Benchmark(OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Encrypt")]
    public void Encrypt_TwoLanes()
    {
        _decrypting = false;
        RunBothLanes(decrypt: false);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Decrypt")]
    public void Decrypt_OneLane()
    {
        _session.Session.Replay.ResetForBenchmark();
        for (int b = 0; b < Batches; b++)
        {
            Decrypt(_lanes[0], b);
        }
    }

    [Benchmark(OperationsPerInvoke = PacketsPerOperation), BenchmarkCategory("Decrypt")]
    public void Decrypt_TwoLanes()
    {
        _session.Session.Replay.ResetForBenchmark();
        _decrypting = true;
        RunBothLanes(decrypt: true);
    }

    /// <summary>
    /// One two-lane operation: lane 1 is told to start (it is spinning, as a busy lane would be), lane 0 runs its half
    /// here, then waits, spinning, for lane 1's half. No thread sleeps inside an operation, so what the two-lane row
    /// measures is the lanes' work, not how long the scheduler takes to wake a thread (tens of µs here, against an
    /// operation of about 1 ms).
    /// </summary>
    private void RunBothLanes(bool decrypt)
    {
        int operation = Interlocked.Increment(ref _started);
        _wake.Set();
        RunHalf(_lanes[0], decrypt, first: 0);
        while (Volatile.Read(ref _finished) != operation)
        {
            Thread.SpinWait(16);
        }
    }

    /// <summary>
    /// Lane 1: waits for the next operation spinning, for up to 10 ms after its last one (so back-to-back operations
    /// never wait for a wake-up), then asleep (so it takes no CPU from the one-lane rows).
    /// </summary>
    private void HelperLoop()
    {
        int seen = 0;
        while (true)
        {
            long spinUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
            while (Volatile.Read(ref _started) == seen)
            {
                if (_stop)
                {
                    return;
                }

                if (Stopwatch.GetTimestamp() < spinUntil)
                {
                    Thread.SpinWait(16);
                }
                else
                {
                    _wake.Wait();
                    _wake.Reset(); // then look again: an operation started before the reset is seen by the check
                }
            }

            seen++;
            RunHalf(_lanes[1], _decrypting, first: 1);
            Volatile.Write(ref _finished, seen);
        }
    }

    /// <summary>Half the operation's batches: lane <paramref name="first"/> takes every other one.</summary>
    private void RunHalf(Lane lane, bool decrypt, int first)
    {
        for (int b = first; b < Batches; b += 2)
        {
            if (decrypt)
            {
                Decrypt(lane, b);
            }
            else
            {
                Encrypt(lane);
            }
        }
    }

    private void Encrypt(Lane lane)
    {
        PacketBatch batch = lane.Batch;
        batch.Clear();
        batch.Direction = PacketDirection.Outbound;
        PortId peer = _session.Peer.Port;
        for (int i = 0; i < Packets; i++)
        {
            Span<byte> packet = lane.Buffer.AsSpan((i * Slot) + Headroom, Size);
            packet[0] = 0x45;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(packet[2..], Size);
            ref Packet p = ref batch.Append(lane.Buffer.AsMemory(i * Slot, Slot), Headroom, Size);
            p.Egress = peer;
        }

        lane.Worker.Process(batch);
        lane.Worker.EndBatch();
    }

    private void Decrypt(Lane lane, int batchIndex)
    {
        PacketBatch batch = lane.Batch;
        batch.Clear();
        batch.Direction = PacketDirection.Inbound;
        for (int i = 0; i < Packets; i++)
        {
            int message = (batchIndex * Packets) + i;
            int length = _sealedLength[message];
            _sealed.AsSpan(message * Slot, length).CopyTo(lane.Buffer.AsSpan((i * Slot) + Headroom));
            ref Packet p = ref batch.Append(lane.Buffer.AsMemory(i * Slot, Slot), Headroom, length);
            p.IngressQueue = (ushort)lane.Index;
            p.SourceSlot = (ushort)i;
        }

        lane.Worker.Process(batch);
        lane.Worker.EndBatch();
    }

    /// <summary>One lane's own state: worker (with its sender and counters), batch and packet buffers.</summary>
    private sealed class Lane(WireGuardStage stage, int index)
    {
        public int Index { get; } = index;

        public IStageWorker Worker { get; } = stage.CreateWorker(index);

        public PacketBatch Batch { get; } = new(Packets);

        public byte[] Buffer { get; } = GC.AllocateArray<byte>(Packets * Slot, pinned: true);
    }
}
