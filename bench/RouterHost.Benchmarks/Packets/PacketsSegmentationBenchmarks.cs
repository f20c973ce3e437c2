using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Benchmarks.Packets;

/// <summary>
/// Splitting a 64 KiB IPv4 TCP superpacket at MSS 1400 into caller buffers (47 segments, every header and
/// checksum written), against the baseline of only copying the same bytes into the same buffers.
/// </summary>
[MemoryDiagnoser]
public class PacketsSegmentationBenchmarks
{
    private const int Mss = 1400;
    private readonly Memory<byte>[] _destinations = new Memory<byte>[64];
    private readonly int[] _lengths = new int[64];
    private byte[] _superpacket = [];
    private GsoInfo _gso;

    [GlobalSetup]
    public void Setup()
    {
        _superpacket = PacketsBenchmarkPackets.Tcp(payloadLength: 65535 - 40, sequence: 1, id: 1);
        _gso = new GsoInfo { Type = GsoType.TcpV4, SegmentSize = Mss, HeaderLength = 40, ChecksumStart = 20, ChecksumOffset = 16, NeedsChecksum = true };
        for (int i = 0; i < _destinations.Length; i++)
        {
            _destinations[i] = GC.AllocateArray<byte>(2048, pinned: true);
        }
    }

    [Benchmark(Baseline = true)]
    public int CopyOnly()
    {
        int payload = _superpacket.Length - 40;
        int count = 0;
        for (int offset = 0; offset < payload; offset += Mss, count++)
        {
            Span<byte> destination = _destinations[count].Span;
            _superpacket.AsSpan(0, 40).CopyTo(destination);
            _superpacket.AsSpan(40 + offset, Math.Min(Mss, payload - offset)).CopyTo(destination[40..]);
        }

        return count;
    }

    [Benchmark]
    public int Segment()
    {
        Segmenter.Segment(_superpacket, _gso, _destinations, _lengths, out int count);
        return count;
    }
}
