using RouterHost.Tests.Support;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// <c>Pipeline:RealtimePriority</c>: each runner lane's thread runs <c>SCHED_FIFO</c> at that priority, as the kernel
/// reports it in <c>/proc/self/task/TID/stat</c>, and no other thread of the process does.
/// </summary>
public sealed class RealtimePriorityTests
{
    private const int SchedFifo = 1;

    [Fact]
    public void Every_lane_thread_runs_SCHED_FIFO_at_the_priority_and_the_rest_of_the_process_does_not()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "scheduling policies are read from Linux's /proc");
        Assert.SkipUnless(Environment.UserName == "root", "SCHED_FIFO needs CAP_SYS_NICE; the suite runs as root");
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "RealtimePriority": 7, "Stages": [ { "Type": "Forward", "Settings": { "To": "rt1" } } ] },
              "Interfaces": {
                "rt0": { "Backend": "Memory", "Settings": { "Queues": 2, "Exchange": "$EXCHANGE" } },
                "rt1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """);
        Thread.Sleep(300);
        Dictionary<string, (int Priority, int Policy)> threads = Threads();
        Assert.Equal((7, SchedFifo), threads["rh rt0/q0"]);
        Assert.Equal((7, SchedFifo), threads["rh rt0/q1"]);
        Assert.Equal((7, SchedFifo), threads["rh rt1/q0"]);
        Assert.All(threads.Where(t => !t.Key.StartsWith("rh rt", StringComparison.Ordinal)), t => Assert.Equal(0, t.Value.Policy));
    }

    [Fact]
    public void Without_the_key_lane_threads_keep_normal_scheduling()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "scheduling policies are read from Linux's /proc");
        using TestRouter router = TestRouter.Start("""
            {
              "Pipeline": { "Stages": [ { "Type": "Forward", "Settings": { "To": "nr1" } } ] },
              "Interfaces": {
                "nr0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } },
                "nr1": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """);
        Thread.Sleep(300);
        Assert.Equal((0, 0), Threads()["rh nr0/q0"]);
    }

    [Theory]
    [InlineData("100")]
    [InlineData("-1")]
    [InlineData("\"high\"")]
    public void A_priority_outside_1_to_99_is_refused_at_its_key_path(string value)
    {
        var problems = RouterHost.Configuration.ConfigurationValidator.Validate(
            TestRouter.Configure($$"""{ "Pipeline": { "RealtimePriority": {{value}} } }""", MemoryExchange.New()), TestRouter.Catalog, out _);
        Assert.Contains(problems, p => p.Path == "Pipeline:RealtimePriority" && p.Message.Contains("99", StringComparison.Ordinal));
    }

    [Fact]
    public void A_priority_the_kernel_refuses_comes_back_with_its_errno()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "sched_setscheduler is Linux's");
        string? error = null;
        var thread = new Thread(() => Linux.ThreadScheduling.TrySetFifo(100, out error));
        thread.Start();
        thread.Join();
        Assert.NotNull(error);
        Assert.Contains("sched_setscheduler SCHED_FIFO priority 100 failed: EINVAL", error, StringComparison.Ordinal);
    }

    /// <summary>Thread name (as the kernel truncates it) → its rt_priority and policy (stat fields 40 and 41).</summary>
    private static Dictionary<string, (int Priority, int Policy)> Threads()
    {
        var result = new Dictionary<string, (int, int)>();
        foreach (string task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                string name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                result[name] = (int.Parse(fields[40 - 3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(fields[41 - 3], System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
            }
        }

        return result;
    }
}
