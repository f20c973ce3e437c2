using BenchmarkDotNet.Attributes;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>X25519 shared secret (one per handshake message side), OpenSSL EVP_PKEY beside libsodium (baseline).</summary>
[MemoryDiagnoser]
public class X25519Benchmarks
{
    private readonly X25519 _algorithm = KeyAgreementAlgorithm.X25519;
    private readonly byte[] _shared = new byte[32];
    private X25519PrivateKey _key = null!;
    private byte[] _peer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = _algorithm.GenerateKey();
        using X25519PrivateKey peer = _algorithm.GenerateKey();
        _peer = peer.PublicKey.ToArray();
        _algorithm.Agree(NativeBackend.OpenSsl, _key, _peer, _shared); // create the EVP_PKEY outside the loop
    }

    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    [Benchmark(Baseline = true)]
    public bool Agree_Sodium() => _algorithm.Agree(NativeBackend.Sodium, _key, _peer, _shared);

    [Benchmark]
    public bool Agree_OpenSsl() => _algorithm.Agree(NativeBackend.OpenSsl, _key, _peer, _shared);

    [Benchmark]
    public bool Agree_Api() => _algorithm.Agree(_key, _peer, _shared);
}
