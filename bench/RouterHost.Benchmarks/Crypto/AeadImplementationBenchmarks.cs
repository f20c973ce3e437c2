using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;
using NSecAead = NSec.Cryptography.AeadAlgorithm;
using NSecKey = NSec.Cryptography.Key;
using NSecKeyBlobFormat = NSec.Cryptography.KeyBlobFormat;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>
/// ChaCha20-Poly1305 implementations side by side, in place as the data path seals and opens, per packet of 64, 256
/// and 1420 bytes: OpenSSL through its provider's functions (the baseline: today's data path),
/// libsodium 1.0.22 (shipped with NSec) called directly, the same libsodium through NSec's API (its <c>Key</c>
/// objects), and the public API (whatever <see cref="BackendChoice"/> picks, with validation). The 45-packet run is
/// <see cref="AeadRunBenchmarks"/>. Figures: docs/benchmarks.md.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class AeadImplementationBenchmarks
{
    private readonly ChaCha20Poly1305 _algorithm = AeadAlgorithm.ChaCha20Poly1305;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _ad = [];
    private AeadKey _key = null!;
    private NSecKey _nsecKey = null!;
    private byte[] _message = null!;
    private byte[] _sealed = null!;
    private byte[] _opened = null!;

    /// <summary>Plaintext bytes per packet (the run rows always use 1420).</summary>
    [Params(64, 256, 1420)]
    public int Size { get; set; }

    /// <summary>One key in both shapes, a sealed message to open, and a 45-packet run buffer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        byte[] raw = new byte[32];
        Random.Shared.NextBytes(raw);
        _key = _algorithm.ImportKey(raw);
        _nsecKey = NSecKey.Import(NSecAead.ChaCha20Poly1305, raw, NSecKeyBlobFormat.RawSymmetricKey);
        _message = new byte[Size + 16];
        Random.Shared.NextBytes(_message);
        _sealed = new byte[Size + 16];
        _algorithm.Seal(_key, _nonce, _message.AsSpan(0, Size), _ad, _sealed);
        _opened = new byte[Size + 16];
    }

    /// <summary>Disposes both keys.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _key.Dispose();
        _nsecKey.Dispose();
    }

    /// <summary>OpenSSL, provider functions: today's data path.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Seal")]
    public void Seal_OpenSsl() => _algorithm.Seal(NativeBackend.OpenSsl, _key, _nonce, _message.AsSpan(0, Size), _ad, _message);

    /// <summary>Ours: C# over AVX-512, no native call.</summary>
    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_Avx512() => _algorithm.Seal(NativeBackend.Avx512, _key, _nonce, _message.AsSpan(0, Size), _ad, _message);

    /// <summary>libsodium 1.0.22 (NSec's copy), one LibraryImport call.</summary>
    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_Sodium() => _algorithm.Seal(NativeBackend.Sodium, _key, _nonce, _message.AsSpan(0, Size), _ad, _message);

    /// <summary>libsodium 1.0.22 through NSec's API and Key object.</summary>
    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_NSec() => NSecAead.ChaCha20Poly1305.Encrypt(_nsecKey, _nonce, _ad, _message.AsSpan(0, Size), _message);

    /// <summary>The public in-place counter overload (the library <see cref="BackendChoice"/> picks).</summary>
    [Benchmark, BenchmarkCategory("Seal")]
    public void Seal_Api() => _algorithm.Seal(_key, 7UL, _message, _ad);

    /// <summary>OpenSSL, provider functions: today's data path.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Open")]
    public bool Open_OpenSsl()
    {
        _sealed.CopyTo(_opened, 0);
        return _algorithm.Open(NativeBackend.OpenSsl, _key, _nonce, _opened, _ad, _opened.AsSpan(0, Size));
    }

    /// <summary>Ours: C# over AVX-512, no native call.</summary>
    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_Avx512()
    {
        _sealed.CopyTo(_opened, 0);
        return _algorithm.Open(NativeBackend.Avx512, _key, _nonce, _opened, _ad, _opened.AsSpan(0, Size));
    }

    /// <summary>libsodium 1.0.22 (NSec's copy), one LibraryImport call.</summary>
    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_Sodium()
    {
        _sealed.CopyTo(_opened, 0);
        return _algorithm.Open(NativeBackend.Sodium, _key, _nonce, _opened, _ad, _opened.AsSpan(0, Size));
    }

    /// <summary>libsodium 1.0.22 through NSec's API and Key object.</summary>
    [Benchmark, BenchmarkCategory("Open")]
    public bool Open_NSec()
    {
        _sealed.CopyTo(_opened, 0);
        return NSecAead.ChaCha20Poly1305.Decrypt(_nsecKey, _nonce, _ad, _opened, _opened.AsSpan(0, Size));
    }
}

/// <summary>
/// 45 × 1420-byte packets sealed in place one after another, as <c>TransportSender</c> seals a TSO superpacket's
/// segments: per operation, 45 packets. OpenSSL provider functions (today's data path) is the baseline.
/// </summary>
[MemoryDiagnoser]
public class AeadRunBenchmarks
{
    private const int RunPackets = 45;
    private const int RunPacketBytes = 1420;

    private readonly ChaCha20Poly1305 _algorithm = AeadAlgorithm.ChaCha20Poly1305;
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _ad = [];
    private AeadKey _key = null!;
    private byte[] _run = null!;

    /// <summary>A key and the run buffer.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _key = _algorithm.GenerateKey();
        _run = new byte[RunPackets * (RunPacketBytes + 16)];
        Random.Shared.NextBytes(_run);
    }

    /// <summary>Disposes the key.</summary>
    [GlobalCleanup]
    public void Cleanup() => _key.Dispose();

    /// <summary>45 × 1420 bytes sealed in place one after another, OpenSSL provider functions (today's data path).</summary>
    [Benchmark(Baseline = true)]
    public void Run_OpenSsl() => Run(NativeBackend.OpenSsl);

    /// <summary>The same run through our C# over AVX-512.</summary>
    [Benchmark]
    public void Run_Avx512() => Run(NativeBackend.Avx512);

    /// <summary>The same run through libsodium 1.0.22 directly.</summary>
    [Benchmark]
    public void Run_Sodium() => Run(NativeBackend.Sodium);

    /// <summary>The same run through the public API, one call per packet.</summary>
    [Benchmark]
    public void Run_Api()
    {
        Span<byte> run = _run;
        for (int i = 0; i < RunPackets; i++)
        {
            _algorithm.Seal(_key, (ulong)i, run.Slice(i * (RunPacketBytes + 16), RunPacketBytes + 16), _ad);
        }
    }

    /// <summary>
    /// The same run as one batch: one context rented for all 45 packets and no per-packet validation — the most a
    /// batch-sealing API over OpenSSL could save.
    /// </summary>
    [Benchmark]
    public unsafe void Run_OpenSslBatch()
    {
        CipherContextPool pool = _key.ContextPool;
        System.Runtime.InteropServices.SafeHandle context = pool.Rent(out int slot);
        IntPtr handle = context.DangerousGetHandle();
        fixed (byte* run = _run)
        fixed (byte* nonce = _nonce)
        {
            for (int i = 0; i < RunPackets; i++)
            {
                byte* packet = run + (i * (RunPacketBytes + 16));
                OpenSslChaCha20Poly1305.Seal(handle, null, nonce, packet, RunPacketBytes, null, 0, packet, packet + RunPacketBytes);
            }
        }

        pool.Return(context, slot);
    }

    private void Run(NativeBackend backend)
    {
        Span<byte> run = _run;
        for (int i = 0; i < RunPackets; i++)
        {
            Span<byte> packet = run.Slice(i * (RunPacketBytes + 16), RunPacketBytes + 16);
            _algorithm.Seal(backend, _key, _nonce, packet[..RunPacketBytes], _ad, packet);
        }
    }
}
