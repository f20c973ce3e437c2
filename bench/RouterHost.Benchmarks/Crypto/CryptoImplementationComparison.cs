using System.Diagnostics;
using System.Globalization;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;
using NSecAead = NSec.Cryptography.AeadAlgorithm;
using NSecKey = NSec.Cryptography.Key;
using NSecKeyBlobFormat = NSec.Cryptography.KeyBlobFormat;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>
/// <c>--compare-crypto</c>: every implementation of each primitive side by side on a loaded machine. Each round runs
/// every row for one short slice (about 0.5 ms), interleaved, so all rows see the same load; a row's figure is the
/// fastest of its slices (a slice the scheduler did not interrupt: the CPU cost), with the median beside it. The
/// ChaCha20-Poly1305 rows (in place, as the data path) are OpenSSL through its provider's functions (baseline: today's
/// data path), libsodium 1.0.22 (NSec's copy) called directly, and NSec's API; a run of 45 × 1420 bytes (a TSO
/// superpacket's segments) per packet and as one batch; X25519; the XChaCha20-Poly1305 cookie. <c>openssl speed -evp
/// chacha20-poly1305 -bytes 1420</c> (CPU time, its default) runs between rounds as the ceiling.
/// </summary>
internal static class CryptoImplementationComparison
{
    private const double SliceSeconds = 0.0005;

    public static int Run(int rounds)
    {
        List<Row> rows = Rows();
        List<double> openSslSpeed = [];
        for (int round = 0; round < rounds; round++)
        {
            foreach (Row row in rows)
            {
                row.Slices.Add(Slice(row));
            }

            if (round % (rounds / 5) == 0 && File.Exists("/usr/bin/openssl"))
            {
                openSslSpeed.Add(OpenSslSpeedComparison.OpenSsl(1420, seconds: 1, aead: false));
            }
        }

        double ceilingNs = openSslSpeed.Count == 0 ? double.NaN : 1420 / (openSslSpeed.Max() * 1e6) * 1e9;
        Console.WriteLine($"min / median over {rounds} interleaved slices of ~0.5 ms; OpenSSL {CryptoLibrary.OpenSslVersion}, " +
            $"libsodium {CryptoLibrary.SodiumVersion} from {CryptoLibrary.SodiumSource}; load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"openssl speed -evp chacha20-poly1305 -bytes 1420: best {openSslSpeed.DefaultIfEmpty(double.NaN).Max():0} MB/s = {ceilingNs:0} ns per 1420 B"));
        Console.WriteLine();
        Console.WriteLine("| primitive | implementation | ns/op (min) | ns/op (median) | ratio to baseline (min) | 1420 B: ratio to openssl speed |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: |");
        foreach (Row row in rows)
        {
            double min = row.Slices.Min();
            double median = Median(row.Slices);
            Row baseline = rows.First(r => r.Primitive == row.Primitive);
            double ratio = min / baseline.Slices.Min();
            string ceiling = row.PerPacketBytes == 1420 ? (ceilingNs / (min / row.Packets)).ToString("0.00", CultureInfo.InvariantCulture) : "";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Primitive} | {row.Implementation} | {min:0} | {median:0} | {ratio:0.00} | {ceiling} |"));
        }

        return 0;
    }

    private sealed record Row(string Primitive, string Implementation, int PerPacketBytes, int Packets, Action Operation)
    {
        public List<double> Slices { get; } = [];
    }

    private static List<Row> Rows()
    {
        ChaCha20Poly1305 aead = AeadAlgorithm.ChaCha20Poly1305;
        byte[] raw = new byte[32];
        Random.Shared.NextBytes(raw);
        AeadKey key = aead.ImportKey(raw);
        NSecKey nsecKey = NSecKey.Import(NSecAead.ChaCha20Poly1305, raw, NSecKeyBlobFormat.RawSymmetricKey);
        byte[] nonce = new byte[12];
        List<Row> rows = [];
        foreach (int size in (int[])[64, 256, 1420])
        {
            byte[] message = GC.AllocateArray<byte>(size + 16, pinned: true);
            Random.Shared.NextBytes(message);
            byte[] sealedMessage = new byte[size + 16];
            aead.Seal(key, nonce, message.AsSpan(0, size), default, sealedMessage);
            byte[] opened = GC.AllocateArray<byte>(size + 16, pinned: true);
            rows.Add(new($"seal {size} B", "OpenSSL (provider functions) — baseline", size, 1, () => aead.Seal(NativeBackend.OpenSsl, key, nonce, message.AsSpan(0, size), default, message)));
            rows.Add(new($"seal {size} B", "ours, C# over AVX-512", size, 1, () => aead.Seal(NativeBackend.Avx512, key, nonce, message.AsSpan(0, size), default, message)));
            rows.Add(new($"seal {size} B", "libsodium 1.0.22 direct", size, 1, () => aead.Seal(NativeBackend.Sodium, key, nonce, message.AsSpan(0, size), default, message)));
            rows.Add(new($"seal {size} B", "NSec API", size, 1, () => NSecAead.ChaCha20Poly1305.Encrypt(nsecKey, nonce, default, message.AsSpan(0, size), message)));
            rows.Add(new($"seal {size} B", "public API (BackendChoice)", size, 1, () => aead.Seal(key, 7UL, message, default)));
            rows.Add(new($"open {size} B", "OpenSSL (provider functions) — baseline", size, 1, () =>
            {
                sealedMessage.CopyTo(opened, 0);
                aead.Open(NativeBackend.OpenSsl, key, nonce, opened, default, opened.AsSpan(0, size));
            }));
            rows.Add(new($"open {size} B", "ours, C# over AVX-512", size, 1, () =>
            {
                sealedMessage.CopyTo(opened, 0);
                aead.Open(NativeBackend.Avx512, key, nonce, opened, default, opened.AsSpan(0, size));
            }));
            rows.Add(new($"open {size} B", "libsodium 1.0.22 direct", size, 1, () =>
            {
                sealedMessage.CopyTo(opened, 0);
                aead.Open(NativeBackend.Sodium, key, nonce, opened, default, opened.AsSpan(0, size));
            }));
            rows.Add(new($"open {size} B", "NSec API", size, 1, () =>
            {
                sealedMessage.CopyTo(opened, 0);
                NSecAead.ChaCha20Poly1305.Decrypt(nsecKey, nonce, default, opened, opened.AsSpan(0, size));
            }));
        }

        AeadRunBenchmarks run = new();
        run.Setup();
        rows.Add(new("seal 45 × 1420 B", "OpenSSL (provider functions), per packet — baseline", 1420, 45, () => run.Run_OpenSsl()));
        rows.Add(new("seal 45 × 1420 B", "ours, C# over AVX-512, per packet", 1420, 45, () => run.Run_Avx512()));
        rows.Add(new("seal 45 × 1420 B", "libsodium 1.0.22 direct, per packet", 1420, 45, () => run.Run_Sodium()));
        rows.Add(new("seal 45 × 1420 B", "public API, per packet", 1420, 45, () => run.Run_Api()));
        rows.Add(new("seal 45 × 1420 B", "OpenSSL, one context for the batch", 1420, 45, () => run.Run_OpenSslBatch()));

        X25519Benchmarks x25519 = new();
        x25519.Setup();
        rows.Add(new("X25519 shared secret", "libsodium 1.0.22 direct — baseline", 0, 1, () => x25519.Agree_Sodium()));
        rows.Add(new("X25519 shared secret", "OpenSSL EVP_PKEY_derive", 0, 1, () => x25519.Agree_OpenSsl()));
        rows.Add(new("X25519 shared secret", "NSec API (SharedSecret object)", 0, 1, () => x25519.Agree_NSec()));
        rows.Add(new("X25519 key generation", "public API (libsodium, pinned) — baseline", 0, 1, () => x25519.Generate_Api()));
        rows.Add(new("X25519 key generation", "NSec Key.Create (sodium_malloc)", 0, 1, () => x25519.Generate_NSec()));
        rows.Add(new("X25519 key generation", "public API import (libsodium, sodium_malloc)", 0, 1, () => x25519.Import_Api()));

        XChaCha20Poly1305Benchmarks cookie = new();
        cookie.Setup();
        rows.Add(new("XChaCha20-Poly1305 cookie (16 B)", "libsodium 1.0.22, one call — baseline", 0, 1, () => cookie.Seal_Sodium()));
        rows.Add(new("XChaCha20-Poly1305 cookie (16 B)", "managed HChaCha20 + OpenSSL", 0, 1, () => cookie.Seal_OpenSsl()));
        rows.Add(new("XChaCha20-Poly1305 cookie (16 B)", "managed HChaCha20 + ours over AVX-512", 0, 1, () => cookie.Seal_Avx512()));
        rows.Add(new("XChaCha20-Poly1305 cookie (16 B)", "NSec API", 0, 1, () => cookie.Seal_NSec()));
        return rows;
    }

    private static double Slice(Row row)
    {
        // Calibrate the batch to about one slice, then time one uninterrupted-if-lucky batch.
        int batch = 1;
        long start = Stopwatch.GetTimestamp();
        row.Operation();
        double one = Stopwatch.GetElapsedTime(start).TotalSeconds;
        batch = Math.Max(1, (int)(SliceSeconds / Math.Max(one, 1e-9)));
        start = Stopwatch.GetTimestamp();
        for (int i = 0; i < batch; i++)
        {
            row.Operation();
        }

        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / batch;
    }

    private static double Median(List<double> values)
    {
        List<double> sorted = [.. values];
        sorted.Sort();
        return sorted[sorted.Count / 2];
    }
}
