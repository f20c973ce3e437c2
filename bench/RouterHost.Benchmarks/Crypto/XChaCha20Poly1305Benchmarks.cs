using BenchmarkDotNet.Attributes;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;
using NSecAead = NSec.Cryptography.AeadAlgorithm;
using NSecKey = NSec.Cryptography.Key;
using NSecKeyBlobFormat = NSec.Cryptography.KeyBlobFormat;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>
/// XChaCha20-Poly1305 sealing a WireGuard cookie (16 bytes, the 16-byte mac1 as associated data): libsodium 1.0.22 in
/// one call (baseline), managed HChaCha20 then OpenSSL, and NSec's API with its <c>Key</c> object.
/// </summary>
[MemoryDiagnoser]
public class XChaCha20Poly1305Benchmarks
{
    private readonly XChaCha20Poly1305 _algorithm = AeadAlgorithm.XChaCha20Poly1305;
    private readonly byte[] _nonce = new byte[24];
    private readonly byte[] _ad = new byte[16];
    private readonly byte[] _cookie = new byte[16];
    private readonly byte[] _output = new byte[32];
    private AeadKey _key = null!;
    private NSecKey _nsecKey = null!;

    /// <summary>One key in both shapes.</summary>
    [GlobalSetup]
    public void Setup()
    {
        byte[] raw = new byte[32];
        Random.Shared.NextBytes(raw);
        _key = _algorithm.ImportKey(raw);
        _nsecKey = NSecKey.Import(NSecAead.XChaCha20Poly1305, raw, NSecKeyBlobFormat.RawSymmetricKey);
    }

    /// <summary>Disposes both keys.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
        _nsecKey.Dispose();
    }

    /// <summary>libsodium's crypto_aead_xchacha20poly1305_ietf_encrypt_detached, one call.</summary>
    [Benchmark(Baseline = true)]
    public void Seal_Sodium() => _algorithm.Seal(NativeBackend.Sodium, _key, _nonce, _cookie, _ad, _output);

    /// <summary>Managed HChaCha20, then OpenSSL's ChaCha20-Poly1305.</summary>
    [Benchmark]
    public void Seal_OpenSsl() => _algorithm.Seal(NativeBackend.OpenSsl, _key, _nonce, _cookie, _ad, _output);

    /// <summary>Managed HChaCha20, then our ChaCha20-Poly1305 over AVX-512.</summary>
    [Benchmark]
    public void Seal_Avx512() => _algorithm.Seal(NativeBackend.Avx512, _key, _nonce, _cookie, _ad, _output);

    /// <summary>NSec's XChaCha20-Poly1305 with its Key object.</summary>
    [Benchmark]
    public void Seal_NSec() => NSecAead.XChaCha20Poly1305.Encrypt(_nsecKey, _nonce, _ad, _cookie, _output);
}
