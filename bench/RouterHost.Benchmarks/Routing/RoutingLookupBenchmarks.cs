using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using RouterHost.Abstractions;
using RouterHost.Routing;
using RouterHost.Settings;

namespace RouterHost.Benchmarks.Routing;

/// <summary>
/// Longest-prefix-match lookups in tables of 1k, 100k and 1M random prefixes (lengths distributed like real
/// tables: mostly /16-/24 for IPv4, /32-/64 for IPv6), for 4096 destinations of which three quarters fall inside
/// some prefix. The 1k-prefix table is the baseline; a table fit for large routing tables keeps the ratio near 1.
/// </summary>
[MemoryDiagnoser]
public class RoutingLookupBenchmarks
{
    private const int Lookups = 4096;
    private readonly uint[] _v4 = new uint[Lookups];
    private readonly UInt128[] _v6 = new UInt128[Lookups];
    private RoutingTable _table = RoutingTable.Empty;

    [Params(1_000, 100_000, 1_000_000)]
    public int Prefixes { get; set; }

    [Params(false, true)]
    public bool IPv6 { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(Prefixes);
        var builder = new RoutingTableBuilder();
        var prefixes = new List<IpPrefix>(Prefixes);
        Span<byte> bytes = stackalloc byte[16];
        while (builder.PrefixCount < Prefixes)
        {
            random.NextBytes(bytes);
            IpPrefix prefix;
            if (IPv6)
            {
                int length = random.Next(100) < 70 ? 32 + random.Next(33) : 16 + random.Next(113);
                prefix = IpPrefix.IPv6(BinaryPrimitives.ReadUInt128BigEndian(bytes) & IpPrefix.Mask(length), length);
            }
            else
            {
                int length = random.Next(100) < 80 ? 16 + random.Next(9) : 8 + random.Next(25);
                prefix = IpPrefix.IPv4(BinaryPrimitives.ReadUInt32BigEndian(bytes) & (uint)(IpPrefix.Mask(length) >> 96), length);
            }

            if (builder.Add(new Route(prefix, PortId.Interface(random.Next(8)))))
            {
                prefixes.Add(prefix);
            }
        }

        _table = builder.Build();
        for (int i = 0; i < Lookups; i++)
        {
            random.NextBytes(bytes);
            UInt128 any = BinaryPrimitives.ReadUInt128BigEndian(bytes);
            if (i % 4 != 0)
            {
                IpPrefix inside = prefixes[random.Next(prefixes.Count)];
                UInt128 mask = IpPrefix.Mask(inside.Length);
                UInt128 key = inside.IsIPv6 == IPv6 ? inside.Key : UInt128.Zero;
                any = key | (any & ~mask);
            }

            _v6[i] = any;
            _v4[i] = (uint)(any >> 96);
        }
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int Lookup()
    {
        RoutingTable table = _table;
        int found = 0;
        if (IPv6)
        {
            foreach (UInt128 address in _v6)
            {
                found += table.TryLookup(address, 0, out RouteTarget target) ? target.PrefixLength : 0;
            }
        }
        else
        {
            foreach (uint address in _v4)
            {
                found += table.TryLookup(address, 0, out RouteTarget target) ? target.PrefixLength : 0;
            }
        }

        return found;
    }
}
