using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>
/// ChaCha20-Poly1305 seal and open, OpenSSL EVP beside libsodium (the baseline of each category), at a small
/// packet, a WireGuard-MTU packet and a GSO-sized superpacket segment. <c>*_Api</c> is the public in-place
/// counter overload, i.e. whatever library <see cref="BackendChoice"/> picked, with argument validation.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class ChaCha20Poly1305Benchmarks
{
    private readonly ChaCha20Poly1305 _algorithm = AeadAlgorithm.ChaCha20Poly1305;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _ad = new byte[16];
    private AeadKey _key = null!;
    private byte[] _plaintext = null!;
    private byte[] _sealed = null!;
    private byte[] _output = null!;
    private byte[] _opened = null!;
    private ulong _counter;

    [Params(64, 128, 256, 512, 1420, 65000)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _key = _algorithm.GenerateKey();
        _plaintext = new byte[Size];
        Random.Shared.NextBytes(_plaintext);
        _sealed = new byte[Size + 16];
        _output = new byte[Size + 16];
        _opened = new byte[Size];
        _algorithm.Seal(_key, _nonce, _plaintext, _ad, _sealed);
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark(Baseline = true), BenchmarkCategory("Seal")]
    public void Seal_Sodium() => _algorithm.Seal(NativeBackend.Sodium, _key, _nonce, _plaintext, _ad, _output);

    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_OpenSsl() => _algorithm.Seal(NativeBackend.OpenSsl, _key, _nonce, _plaintext, _ad, _output);

    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_Api_InPlace() => _algorithm.Seal(_key, _counter++, _output, _ad);

    [Benchmark(Baseline = true), BenchmarkCategory("Open")]
    public bool Open_Sodium() => _algorithm.Open(NativeBackend.Sodium, _key, _nonce, _sealed, _ad, _opened);

    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_OpenSsl() => _algorithm.Open(NativeBackend.OpenSsl, _key, _nonce, _sealed, _ad, _opened);

    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_Api() => _algorithm.Open(_key, 0UL, _sealed, _ad, _opened);
}
