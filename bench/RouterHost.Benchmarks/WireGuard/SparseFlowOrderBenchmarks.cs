using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.WireGuard.Stage;

namespace RouterHost.Benchmarks.WireGuard;

/// <summary>
/// The outbound batch's sparse-flows-first order (<see cref="SparseFlowOrder"/>) over one batch of 64 packets per
/// operation: all of one bulk flow (the common case under a transfer: hashed and counted, the batch order stands; the
/// baseline), and the same batch with a ping and two DNS queries among the bulk packets (reordered). Each packet carries
/// the flow hash the routing stage gave it, as in a pipeline. Divide by 64 for per-packet figures. Must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class SparseFlowOrderBenchmarks
{
    private const int Packets = 64;
    private const int Size = 1420;
    private readonly SparseFlowOrder _order = new(Packets);
    private Packet[] _bulk = null!;
    private Packet[] _mixed = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] buffer = GC.AllocateArray<byte>(Packets * Size * 2, pinned: true);
        _bulk = new Packet[Packets];
        _mixed = new Packet[Packets];
        for (int i = 0; i < Packets; i++)
        {
            _bulk[i] = Make(buffer, i, protocol: 6, sourcePort: 40000);
            _mixed[i] = i switch
            {
                20 => Make(buffer, Packets + i, protocol: 1, sourcePort: 0),
                40 or 41 => Make(buffer, Packets + i, protocol: 17, sourcePort: (ushort)(5000 + i)),
                _ => Make(buffer, Packets + i, protocol: 6, sourcePort: 40000),
            };
        }
    }

    [Benchmark(Baseline = true)]
    public int OneBulkFlow() => _order.Order(_bulk);

    [Benchmark]
    public int SparseAmongBulk() => _order.Order(_mixed);

    private static Packet Make(byte[] buffer, int slot, byte protocol, ushort sourcePort)
    {
        int length = protocol == 6 ? Size : 84;
        Span<byte> p = buffer.AsSpan(slot * Size, length);
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)length);
        p[8] = 64;
        p[9] = protocol;
        p[12] = 10;
        p[15] = 1;
        p[16] = 10;
        p[19] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(p[20..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p[22..], 5201);
        switch (protocol)
        {
            case 6: p[32] = 0x50; break; // TCP data offset
            case 17: BinaryPrimitives.WriteUInt16BigEndian(p[24..], (ushort)(length - 20)); break; // UDP length
            default: p[20] = 8; break; // ICMP echo request
        }

        BinaryPrimitives.WriteUInt16BigEndian(p[10..], InternetChecksum.Compute(p[..20]));
        uint flowHash = FlowHash.Compute(p);
        return new Packet { Buffer = buffer.AsMemory(slot * Size, Size), Offset = 0, Length = length, FlowHash = flowHash };
    }
}
