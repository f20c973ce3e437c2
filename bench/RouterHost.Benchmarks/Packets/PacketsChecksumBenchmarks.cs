using BenchmarkDotNet.Attributes;
using RouterHost.Packets;

namespace RouterHost.Benchmarks.Packets;

/// <summary>The Internet checksum: the SIMD sum against the RFC 1071 scalar reference, at a small packet, an MTU and a superpacket.</summary>
[MemoryDiagnoser]
public class PacketsChecksumBenchmarks
{
    private byte[] _data = [];

    [Params(64, 1500, 65535)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _data = new byte[Length];
        new Random(42).NextBytes(_data);
    }

    [Benchmark(Baseline = true)]
    public ushort Scalar() => InternetChecksum.SumScalar(_data);

    [Benchmark]
    public ushort Simd() => InternetChecksum.Sum(_data);
}
