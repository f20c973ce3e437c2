using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using RouterHost.Abstractions;
using RouterHost.WireGuard.Stage;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// The receive path's AQM (<see cref="ReceiveAqm"/>) over one batch of 64 decrypted packets per operation: with a short
/// sojourn (the common case: one compare per packet; the baseline), and with a standing queue (CoDel in its dropping
/// state, marking ECN-capable packets CE). The batch is rebuilt each operation (the packets' verdicts reset) in both.
/// Divide by 64 for per-packet figures. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class ReceiveAqmBenchmarks
{
    private const int Packets = 64;
    private const int Size = 1420;
    private readonly Packet[] _packets = new Packet[Packets];
    private byte[] _buffer = null!;
    private ReceiveAqm _aqm = null!;
    private long _now;

    [GlobalSetup]
    public void Setup()
    {
        _buffer = GC.AllocateArray<byte>(Packets * Size, pinned: true);
        for (int i = 0; i < Packets; i++)
        {
            Span<byte> p = _buffer.AsSpan(i * Size, Size);
            p[0] = 0x45;
            p[1] = 0x02; // ECT(0): a signal is a CE mark, so the packets survive every operation
            BinaryPrimitives.WriteUInt16BigEndian(p[2..], Size);
            p[8] = 64;
            p[9] = 6;
        }

        _aqm = new ReceiveAqm(new ReceiveAqmSettings(true, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(20)));
    }

    [Benchmark(Baseline = true)]
    public int ShortSojourn() => Run(100_000);

    [Benchmark]
    public int StandingQueue() => Run(5_000_000);

    private int Run(long sojournNs)
    {
        int signalled = 0;
        _now += 1_000_000;
        for (int i = 0; i < Packets; i++)
        {
            ref Packet p = ref _packets[i];
            p = new Packet { Buffer = _buffer.AsMemory(i * Size, Size), Offset = 0, Length = Size };
            if (_aqm.Apply(ref p, 0, sojournNs, _now))
            {
                signalled++;
            }
        }

        return signalled;
    }
}
