using RouterHost.Tests.Support;

namespace RouterHost.Tests.Pipeline;

/// <summary><c>Pipeline:CpuAffinity</c>: each runner lane's thread is pinned to its CPU, as the kernel reports it.</summary>
public sealed class CpuAffinityTests
{
    [Fact]
    public void With_a_CPU_list_every_worker_thread_is_pinned_to_the_CPU_of_its_lane()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "thread affinity is read from Linux's /proc");
        int last = Environment.ProcessorCount - 1;
        using TestRouter router = TestRouter.Start($$"""
            {
              "Pipeline": { "CpuAffinity": [ {{last}}, 0 ], "Stages": [ { "Type": "Forward", "Settings": { "To": "pin1" } } ] },
              "Interfaces": {
                "pin0": { "Backend": "Memory", "Settings": { "Queues": 2, "Exchange": "$EXCHANGE" } },
                "pin1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """);
        Thread.Sleep(300);
        Dictionary<string, string> allowed = WorkerThreads();
        Assert.Equal(last.ToString(System.Globalization.CultureInfo.InvariantCulture), allowed["rh pin0/q0"]);
        Assert.Equal("0", allowed["rh pin0/q1"]);
        Assert.Equal(last.ToString(System.Globalization.CultureInfo.InvariantCulture), allowed["rh pin1/q0"]);
    }

    [Fact]
    public void A_bad_CPU_affinity_is_refused_at_its_key_path()
    {
        var problems = RouterHost.Configuration.ConfigurationValidator.Validate(
            TestRouter.Configure("""{ "Pipeline": { "CpuAffinity": "sometimes" } }""", MemoryExchange.New()), TestRouter.Catalog, out _);
        Assert.Contains(problems, p => p.Path == "Pipeline:CpuAffinity" && p.Message.Contains("\"auto\"", StringComparison.Ordinal));
        problems = RouterHost.Configuration.ConfigurationValidator.Validate(
            TestRouter.Configure("""{ "Pipeline": { "CpuAffinity": [ "0", "x" ] } }""", MemoryExchange.New()), TestRouter.Catalog, out _);
        Assert.Contains(problems, p => p.Path == "Pipeline:CpuAffinity:1");
    }

    /// <summary>Worker thread name (as the kernel truncates it) → its Cpus_allowed_list.</summary>
    private static Dictionary<string, string> WorkerThreads()
    {
        var result = new Dictionary<string, string>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                if (!name.StartsWith("rh pin", StringComparison.Ordinal))
                {
                    continue;
                }

                string? line = File.ReadLines(Path.Combine(task, "status")).FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
                result[name] = line?.Split(':')[1].Trim() ?? string.Empty;
            }
            catch (IOException)
            {
            }
        }

        return result;
    }
}
