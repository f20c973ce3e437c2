using BenchmarkDotNet.Attributes;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>
/// X25519 shared secret (one per handshake message side), OpenSSL EVP_PKEY beside libsodium 1.0.22 (NSec's copy,
/// baseline) and NSec's own API; and key generation.
/// </summary>
[MemoryDiagnoser]
public class X25519Benchmarks
{
    private readonly X25519 _algorithm = KeyAgreementAlgorithm.X25519;
    private readonly byte[] _shared = new byte[32];
    private X25519PrivateKey _key = null!;
    private byte[] _peer = null!;
    private NSec.Cryptography.Key _nsecKey = null!;
    private NSec.Cryptography.PublicKey _nsecPeer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _key = _algorithm.GenerateKey();
        using X25519PrivateKey peer = _algorithm.GenerateKey();
        _peer = peer.PublicKey.ToArray();
        _algorithm.Agree(NativeBackend.OpenSsl, _key, _peer, _shared); // create the EVP_PKEY outside the loop
        _nsecKey = NSec.Cryptography.Key.Create(NSec.Cryptography.KeyAgreementAlgorithm.X25519);
        _nsecPeer = NSec.Cryptography.PublicKey.Import(NSec.Cryptography.KeyAgreementAlgorithm.X25519, _peer, NSec.Cryptography.KeyBlobFormat.RawPublicKey);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
        _nsecKey.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool Agree_Sodium() => _algorithm.Agree(NativeBackend.Sodium, _key, _peer, _shared);

    [Benchmark]
    public bool Agree_OpenSsl() => _algorithm.Agree(NativeBackend.OpenSsl, _key, _peer, _shared);

    [Benchmark]
    public bool Agree_Api() => _algorithm.Agree(_key, _peer, _shared);

    /// <summary>NSec's own API: allocates a SharedSecret object (which cannot be exported raw, as WireGuard needs).</summary>
    [Benchmark]
    public void Agree_NSec()
    {
        using NSec.Cryptography.SharedSecret? secret = NSec.Cryptography.KeyAgreementAlgorithm.X25519.Agree(_nsecKey, _nsecPeer);
    }

    /// <summary>Key generation: CSPRNG, public key, storage (guarded libsodium memory or a pinned array).</summary>
    [Benchmark]
    public void Generate_Api()
    {
        using X25519PrivateKey key = _algorithm.GenerateKey();
    }

    /// <summary>Importing a private key: libsodium's guarded memory (sodium_malloc) and the public key.</summary>
    [Benchmark]
    public void Import_Api()
    {
        using X25519PrivateKey key = _algorithm.ImportPrivateKey(_peer);
    }

    /// <summary>Key generation through NSec (a Key object holding the private key).</summary>
    [Benchmark]
    public void Generate_NSec()
    {
        using NSec.Cryptography.Key key = NSec.Cryptography.Key.Create(NSec.Cryptography.KeyAgreementAlgorithm.X25519);
    }
}
