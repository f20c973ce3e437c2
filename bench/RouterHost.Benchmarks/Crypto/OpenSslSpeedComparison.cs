using System.Diagnostics;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using RouterHost.Crypto;
using RouterHost.Crypto.Internal;

namespace RouterHost.Benchmarks.Crypto;

/// <summary>
/// <c>--compare-openssl</c>: our ChaCha20-Poly1305 seal and open beside <c>openssl speed -evp chacha20-poly1305</c>
/// (and its <c>-aead</c> variant, the full init/AAD/update/final sequence per message) at 64, 1420 and 65000 bytes, in
/// the same run, interleaved round by round so both see the same machine load. Single thread each, as openssl speed
/// is. Prints the median throughput of each and the ratio ours / openssl.
/// </summary>
internal static class OpenSslSpeedComparison
{
    private static readonly int[] Sizes = [64, 1420, 65000];

    public static int Run(int rounds, int seconds)
    {
        if (!File.Exists("/usr/bin/openssl"))
        {
            Console.Error.WriteLine("error: /usr/bin/openssl is not installed (apt-get install openssl)");
            return 1;
        }

        var results = new Dictionary<(string What, int Size), List<double>>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (int size in Sizes)
            {
                Add(results, ("openssl speed -evp", size), OpenSsl(size, seconds, aead: false));
                Add(results, ("openssl speed -evp -aead", size), OpenSsl(size, seconds, aead: true));
                Add(results, ("RouterHost seal (in place)", size), Ours(size, seconds, open: false));
                Add(results, ("RouterHost open (in place)", size), Ours(size, seconds, open: true));
                Add(results, ("EVP seal from C#", size), EvpFromManaged(size, seconds));
            }

            Console.Error.WriteLine($"round {round + 1} of {rounds} done");
        }

        Console.WriteLine($"ChaCha20-Poly1305, one thread, median of {rounds} rounds of {seconds} s (MB/s = 10^6 bytes/s); " +
            $"OpenSSL {CryptoLibrary.OpenSslVersion}, libsodium {CryptoLibrary.SodiumVersion}, AEAD provider {CryptoLibrary.AeadProvider} (OpenSSL called through: {CryptoLibrary.OpenSslAeadPath})");
        Console.WriteLine();
        Console.WriteLine("| bytes | openssl -evp | openssl -evp -aead | RouterHost seal | seal / -evp | seal / -aead | RouterHost open | open / -evp | open / -aead | EVP seal from C# | EVP / -evp |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (int size in Sizes)
        {
            double evp = Median(results[("openssl speed -evp", size)]);
            double aead = Median(results[("openssl speed -evp -aead", size)]);
            double seal = Median(results[("RouterHost seal (in place)", size)]);
            double open = Median(results[("RouterHost open (in place)", size)]);
            double evpFromManaged = Median(results[("EVP seal from C#", size)]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {size} | {evp:0} | {aead:0} | {seal:0} | {seal / evp:0.00} | {seal / aead:0.00} | {open:0} | {open / evp:0.00} | {open / aead:0.00} | {evpFromManaged:0} | {evpFromManaged / evp:0.00} |"));
        }

        return 0;
    }

    internal static double OpenSsl(int size, int seconds, bool aead)
    {
        var info = new ProcessStartInfo("/usr/bin/openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["speed", "-evp", "chacha20-poly1305", "-bytes", size.ToString(CultureInfo.InvariantCulture), "-seconds", seconds.ToString(CultureInfo.InvariantCulture)])
        {
            info.ArgumentList.Add(arg);
        }

        if (aead)
        {
            info.ArgumentList.Add("-aead");
        }

        using Process process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();

        // The last line: "ChaCha20-Poly1305   1762345.23k" (thousands of bytes per second).
        string last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        string figure = last.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1].TrimEnd('k');
        return double.Parse(figure, CultureInfo.InvariantCulture) / 1000.0;
    }

    private static double Ours(int size, int seconds, bool open)
    {
        ChaCha20Poly1305 algorithm = AeadAlgorithm.ChaCha20Poly1305;
        using AeadKey key = algorithm.GenerateKey();
        byte[] message = GC.AllocateArray<byte>(size + 16, pinned: true);
        Random.Shared.NextBytes(message);
        algorithm.Seal(key, 0UL, message, default);
        byte[] sealedMessage = (byte[])message.Clone();
        long operations = 0;
        ulong counter = 1;
        var watch = Stopwatch.StartNew();
        long deadline = Stopwatch.Frequency * seconds;
        if (open)
        {
            // Opening in place destroys the ciphertext; a sealed copy is restored each time and its cost measured apart.
            while (watch.ElapsedTicks < deadline)
            {
                for (int i = 0; i < 64; i++)
                {
                    sealedMessage.CopyTo(message, 0);
                    algorithm.Open(key, 0UL, message, default);
                }

                operations += 64;
            }

            double elapsed = watch.Elapsed.TotalSeconds;
            double copy = CopySeconds(sealedMessage, message, operations);
            return operations * (double)size / (elapsed - copy) / 1e6;
        }

        while (watch.ElapsedTicks < deadline)
        {
            for (int i = 0; i < 64; i++)
            {
                algorithm.Seal(key, counter++, message, default);
            }

            operations += 64;
        }

        return operations * (double)size / watch.Elapsed.TotalSeconds / 1e6;
    }

    /// <summary>
    /// The EVP call sequence (init with the nonce, update, final, get tag) on one context holding the key, called from
    /// C# exactly as the EVP fallback does, with no key pool or argument checks around it: the path the provider
    /// functions replaced, measured in the same run.
    /// </summary>
    private static unsafe double EvpFromManaged(int size, int seconds)
    {
        if (!OpenSslChaCha20Poly1305.IsSupported)
        {
            return double.NaN;
        }

        byte[] key = GC.AllocateArray<byte>(32, pinned: true);
        byte[] message = GC.AllocateArray<byte>(size + 16, pinned: true);
        byte[] nonce = GC.AllocateArray<byte>(12, pinned: true);
        Random.Shared.NextBytes(key);
        Random.Shared.NextBytes(message);
        using SafeEvpCipherCtxHandle context = Interop.Crypto.EVP_CIPHER_CTX_new();
        fixed (byte* k = key)
        fixed (byte* m = message)
        fixed (byte* n = nonce)
        {
            if (Interop.Crypto.EVP_CipherInit_ex(context, OpenSslChaCha20Poly1305.Cipher, IntPtr.Zero, k, null, 1) != 1)
            {
                throw new InvalidOperationException("EVP_CipherInit_ex failed");
            }

            IntPtr raw = context.DangerousGetHandle();
            long operations = 0;
            ulong counter = 1;
            var watch = Stopwatch.StartNew();
            long deadline = Stopwatch.Frequency * seconds;
            while (watch.ElapsedTicks < deadline)
            {
                for (int i = 0; i < 64; i++)
                {
                    *(ulong*)(n + 4) = counter++;
                    OpenSslChaCha20Poly1305.SealEvp(raw, null, n, m, size, null, 0, m, m + size);
                }

                operations += 64;
            }

            return operations * (double)size / watch.Elapsed.TotalSeconds / 1e6;
        }
    }

    private static double CopySeconds(byte[] from, byte[] to, long operations)
    {
        var watch = Stopwatch.StartNew();
        for (long i = 0; i < operations; i++)
        {
            from.CopyTo(to, 0);
        }

        return watch.Elapsed.TotalSeconds;
    }

    private static void Add(Dictionary<(string, int), List<double>> results, (string, int) key, double value)
    {
        if (!results.TryGetValue(key, out List<double>? list))
        {
            results[key] = list = [];
        }

        list.Add(value);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
