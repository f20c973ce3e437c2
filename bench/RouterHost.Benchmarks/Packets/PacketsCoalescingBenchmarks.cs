using BenchmarkDotNet.Attributes;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Benchmarks.Packets;

/// <summary>
/// Coalescing a batch of 44 MSS-sized segments of one IPv4 TCP flow into one superpacket, against the
/// baseline of writing the 44 packets through uncoalesced (what a backend without GRO does).
/// </summary>
[MemoryDiagnoser]
public class PacketsCoalescingBenchmarks
{
    private const int Segments = 44;
    private const int Mss = 1448;
    private readonly Packet[] _batch = new Packet[Segments];
    private readonly GroCoalescer _coalescer = new(capacity: 128);
    private readonly NullSink _sink = new();

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < Segments; i++)
        {
            byte[] packet = PacketsBenchmarkPackets.Tcp(payloadLength: Mss, sequence: (uint)(i * Mss), id: (ushort)i);
            byte[] buffer = GC.AllocateArray<byte>(packet.Length + 64, pinned: true);
            packet.CopyTo(buffer, 64);
            _batch[i] = new Packet { Buffer = buffer, Offset = 64, Length = packet.Length };
        }
    }

    [Benchmark(Baseline = true)]
    public int PassThrough()
    {
        for (int i = 0; i < _batch.Length; i++)
        {
            _sink.Write(_batch[i]);
        }

        return _sink.Writes;
    }

    [Benchmark]
    public int Coalesce()
    {
        _coalescer.Coalesce(_batch, _sink);
        return _sink.Writes;
    }

    private sealed class NullSink : IGsoSink
    {
        public int Writes { get; private set; }

        public DropReason Write(in Packet packet)
        {
            Writes++;
            return DropReason.None;
        }

        public DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso)
        {
            Writes++;
            return DropReason.None;
        }
    }
}
