using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace RouterHost.Benchmarks;

/// <summary>Entry point: BenchmarkDotNet's switcher over every benchmark class, run in process.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // In-process: BenchmarkDotNet 0.14 (the newest our package source serves) predates .NET 10's
        // runtime moniker, so it cannot generate per-benchmark projects for it; in-process runs the same code.
        IConfig config = DefaultConfig.Instance
            .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator);
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
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
