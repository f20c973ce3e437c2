using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace RouterHost.Benchmarks;

/// <summary>
/// Entry point: BenchmarkDotNet's switcher over every benchmark class, always in process.
/// Usage: <c>dotnet run -c Release --project bench/RouterHost.Benchmarks -- [--quick] --filter '*Pipeline*'</c>;
/// <c>-- --compare-openssl</c> runs our ChaCha20-Poly1305 beside <c>openssl speed</c> (see <see cref="Crypto.OpenSslSpeedComparison"/>);
/// <c>-- --compare-crypto</c> every crypto implementation side by side, interleaved (see <see cref="Crypto.CryptoImplementationComparison"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // In-process only: BenchmarkDotNet 0.14 (the newest our package source serves) predates .NET 10's runtime
        // moniker, and its out-of-process toolchain rebuilds referenced projects with a foreign OutDir. A job
        // given with --job would bring that toolchain back, so job selection is ours: --quick or the default.
        if (args.Contains("--compare-openssl"))
        {
            return Crypto.OpenSslSpeedComparison.Run(rounds: 5, seconds: 2);
        }

        if (args.Contains("--compare-crypto"))
        {
            return Crypto.CryptoImplementationComparison.Run(rounds: 1000);
        }

        bool quick = args.Contains("--quick");
        string[] rest = args.Where(a => a != "--quick").ToArray();
        if (rest.Contains("--job") || rest.Contains("-j"))
        {
            Console.Error.WriteLine("error: use --quick instead of --job (benchmarks always run in process)");
            return 2;
        }

        Job job = (quick ? Job.ShortRun : Job.Default).WithToolchain(InProcessEmitToolchain.Instance);
        IConfig config = DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config);
        foreach (var summary in summaries)
        {
            if (summary.HasCriticalValidationErrors)
            {
                return 1;
            }
        }

        return 0;
    }
}
