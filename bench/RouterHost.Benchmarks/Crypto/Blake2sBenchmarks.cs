using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>
/// BLAKE2s as the WireGuard handshake uses it: unkeyed 32-byte hash, keyed 16-byte MAC (mac1 over a 116-byte
/// initiation prefix), HMAC and KDF3. Managed code beside OpenSSL (baseline) with reused contexts.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class Blake2sBenchmarks
{
    private readonly byte[] _key = new byte[32];
    private readonly byte[] _hash = new byte[32];
    private readonly byte[] _mac = new byte[16];
    private readonly byte[] _t1 = new byte[32];
    private readonly byte[] _t2 = new byte[32];
    private readonly byte[] _t3 = new byte[32];
    private OpenSslBlake2s _openSsl = null!;
    private byte[] _data = null!;

    [Params(32, 116, 1420)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _openSsl = new OpenSslBlake2s();
        _data = new byte[Size];
        Random.Shared.NextBytes(_data);
        Random.Shared.NextBytes(_key);
    }

    [GlobalCleanup]
    public void Cleanup() => _openSsl.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("Hash")]
    public void Hash_OpenSsl() => _openSsl.Hash(_data, _hash);

    [Benchmark, BenchmarkCategory("Hash")]
    public void Hash_Managed() => Blake2s.Hash(_data, _hash);

    [Benchmark(Baseline = true), BenchmarkCategory("Mac16")]
    public void Mac16_OpenSsl() => _openSsl.Mac(_key, _data, _mac);

    [Benchmark, BenchmarkCategory("Mac16")]
    public void Mac16_Managed() => Blake2s.Mac(_key, _data, _mac);

    [Benchmark, BenchmarkCategory("Hkdf")]
    public void Hmac_Managed() => HmacBlake2s.Compute(_key, _data, _hash);

    [Benchmark, BenchmarkCategory("Hkdf")]
    public void Kdf3_Managed() => HkdfBlake2s.Derive(_key, _data, _t1, _t2, _t3);
}
