using RouterHost.Abstractions;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Hosting;

public sealed class RunProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static string WriteConfig(TempDirectory dir, string interfacesAndStages) =>
        dir.WriteFile("router.json", $$"""
            {
              "Plugins": { "Path": "{{RepositoryPaths.TestPlugins}}" },
              {{interfacesAndStages}}
            }
            """);

    private const string GeneratedTraffic = """
        "Pipeline": { "Stages": [ { "Type": "PassThrough" }, { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
        "Interfaces": {
          "mem0": { "Backend": "Memory", "Settings": { "Mode": "Generate", "Queues": 2 } },
          "mem1": { "Backend": "Memory", "Settings": { "Mode": "Generate" } } }
        """;

    [Fact]
    public void Run_logs_through_Serilog_and_on_SIGTERM_stops_within_two_seconds_with_every_queue_closed()
    {
        using var dir = new TempDirectory();
        string config = WriteConfig(dir, GeneratedTraffic);
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);

        Assert.True(router.WaitForOutput("RouterHost ready: 2 interface(s), 2 stage(s)", StartTimeout), router.Output);
        Thread.Sleep(300); // let traffic flow
        var watch = Stopwatch.StartNew();
        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(2)), $"did not stop within 2 s of SIGTERM:\n{router.Output}");
        watch.Stop();

        Assert.Equal(0, router.ExitCode);
        string output = router.Output;
        Assert.Matches(@"\[\d\d:\d\d:\d\d\.\d{3} INF\] RouterHost\.Pipeline\.PipelineRunner: Pipeline running", output);
        Assert.Matches(@"RouterHost ready: 2 interface\(s\), 2 stage\(s\), \d+\.\d\d s after the process started \(CPU \d+\.\d\d s\)", output);
        Assert.Contains("Stopping: closing queues", output, StringComparison.Ordinal);
        Assert.Contains("Stopped: every queue closed, devices released", output, StringComparison.Ordinal);
        Assert.Matches(@"mem0/q0: received [1-9]\d* packets", output);
        Assert.Matches(@"mem0/q1: received [1-9]\d* packets", output);
        Assert.Matches(@"mem1/q0: received \d+ packets \(\d+ bytes\), sent [1-9]\d* packets", output);
    }

    [Fact]
    public void SIGHUP_reloads_the_configuration_and_refuses_an_invalid_one_without_stopping()
    {
        using var dir = new TempDirectory();
        string config = WriteConfig(dir, GeneratedTraffic);
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);
        Assert.True(router.WaitForOutput("RouterHost ready", StartTimeout), router.Output);

        File.WriteAllText(config, File.ReadAllText(config).Replace("\"To\": \"mem1\"", "\"To\": \"mem0\"", StringComparison.Ordinal));
        router.Signal(RouterHostProcess.SIGHUP);
        Assert.True(router.WaitForOutput("reload #1 applied: 1 stage(s) reconfigured", TimeSpan.FromSeconds(10)), router.Output);

        File.WriteAllText(config, File.ReadAllText(config).Replace("\"Queues\": 2", "\"Queues\": \"two\"", StringComparison.Ordinal));
        router.Signal(RouterHostProcess.SIGHUP);
        Assert.True(router.WaitForOutput("refused (1 problem(s)); keeping the last good configuration", TimeSpan.FromSeconds(10)), router.Output);
        Assert.Contains("Configuration reload: Interfaces:mem0:Settings:Queues: must be a whole number between 1 and 64 (got 'two')", router.Output, StringComparison.Ordinal);

        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(5)), router.Output);
        Assert.Equal(0, router.ExitCode);
    }

    [Fact]
    public void With_NOTIFY_SOCKET_set_systemd_receives_READY_then_STOPPING()
    {
        using var dir = new TempDirectory();
        string config = WriteConfig(dir, GeneratedTraffic);
        string socketPath = dir.Combine("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        socket.ReceiveTimeout = (int)StartTimeout.TotalMilliseconds;

        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });

        string first = Receive(socket);
        Assert.StartsWith("READY=1", first, StringComparison.Ordinal);
        Assert.True(router.WaitForOutput("RouterHost ready", StartTimeout), router.Output);

        router.Terminate();
        string second = Receive(socket);
        Assert.StartsWith("STOPPING=1", second, StringComparison.Ordinal);
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(5)), router.Output);
        Assert.Equal(0, router.ExitCode);
    }

    [Fact]
    public void The_watchdog_pings_while_every_lane_progresses_and_stops_when_a_lane_stalls()
    {
        using var dir = new TempDirectory();
        string config = WriteConfig(dir, """
            "Pipeline": { "Stages": [ { "Type": "Stall" }, { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
            "Interfaces": {
              "mem0": { "Backend": "Memory", "Settings": { "Mode": "Generate", "Queues": 2 } },
              "mem1": { "Backend": "Memory", "Settings": { "Mode": "Generate" } } }
            """);
        string socketPath = dir.Combine("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        socket.ReceiveTimeout = (int)StartTimeout.TotalMilliseconds;
        const int PeriodMs = 1000;

        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config], new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = socketPath,
            ["WATCHDOG_USEC"] = (PeriodMs * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
        });

        // Traffic flows through every lane: pings come (every half period).
        Assert.True(ReceiveUntil(socket, m => m.StartsWith("WATCHDOG=1", StringComparison.Ordinal), StartTimeout), router.Output);
        Assert.True(ReceiveUntil(socket, m => m.StartsWith("WATCHDOG=1", StringComparison.Ordinal), StartTimeout), router.Output);

        // Reload: RELOADING=1, then READY=1 once it is applied; from then on the next packet blocks its lane.
        File.WriteAllText(config, File.ReadAllText(config).Replace("{ \"Type\": \"Stall\" }", "{ \"Type\": \"Stall\", \"Settings\": { \"AfterPackets\": 1 } }", StringComparison.Ordinal));
        router.Signal(RouterHostProcess.SIGHUP);
        Assert.True(ReceiveUntil(socket, m => m.StartsWith("RELOADING=1", StringComparison.Ordinal) && m.Contains("MONOTONIC_USEC=", StringComparison.Ordinal), StartTimeout), router.Output);
        Assert.True(ReceiveUntil(socket, m => m.StartsWith("READY=1", StringComparison.Ordinal), StartTimeout), router.Output);
        Assert.True(ReceiveUntil(socket, m => m.StartsWith("STATUS=Stalled: mem0/q", StringComparison.Ordinal), StartTimeout), router.Output);
        Assert.True(router.WaitForOutput("is not making progress; no more WATCHDOG=1", StartTimeout), router.Output);

        // Stalled: no ping for three periods (systemd would have restarted the service after one).
        socket.ReceiveTimeout = 3 * PeriodMs;
        Assert.False(ReceiveUntil(socket, m => m.StartsWith("WATCHDOG=1", StringComparison.Ordinal), TimeSpan.FromMilliseconds(3 * PeriodMs)), "a WATCHDOG=1 came while a lane was stalled");
    }

    [Fact]
    public void A_queue_that_fails_while_running_stops_the_router_with_exit_code_1()
    {
        using var dir = new TempDirectory();
        string config = WriteConfig(dir, """
            "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Mode": "Generate", "FailAfterReads": 100 } } }
            """);
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);

        Assert.True(router.WaitForExit(StartTimeout), router.Output);
        Assert.Equal(1, router.ExitCode);
        Assert.Contains("Queue mem0/q0 failed", router.Output, StringComparison.Ordinal);
        Assert.Contains("Stopped because queue mem0/q0 failed: simulated: memory device queue 0 vanished (EBADFD)", router.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_using_a_broken_plugin_does_not_start_and_says_which_and_why()
    {
        using var dir = new TempDirectory();
        string config = WriteConfig(dir, """
            "Interfaces": { "mem0": { "Backend": "Memory" }, "bad0": { "Backend": "Thrower" } }
            """);
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);

        Assert.True(router.WaitForExit(StartTimeout), router.Output);
        Assert.Equal(1, router.ExitCode);
        Assert.Contains("Interfaces:bad0:Backend", router.Output, StringComparison.Ordinal);
        Assert.Contains("'Thrower'", router.Output, StringComparison.Ordinal);
        Assert.Contains("cannot find its native driver", router.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_start_failure_prints_its_one_line_reason_on_standard_error_and_no_framework_stack_trace()
    {
        using var dir = new TempDirectory();
        string config = WriteConfig(dir, """
            "Interfaces": { "mem0": { "Backend": "Memory" }, "mem1": { "Backend": "Memory", "Settings": { "FailCreate": true } } }
            """);
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);

        Assert.True(router.WaitForExit(StartTimeout), router.Output);
        Assert.Equal(1, router.ExitCode);
        string[] errors = router.ErrorOutput.Split('\n');
        string reason = Assert.Single(errors, l => l.Contains("Not starting", StringComparison.Ordinal));
        Assert.Matches(@"^\[[0-9:.]+ FTL\] RouterHost: Not starting: Interfaces:mem1: interface 'mem1' \(backend 'Memory' .*\) could not be created: .*/dev/memory0 is busy$", reason);

        // The generic host's own report of the same failure, and any stack trace, stay out of it.
        Assert.DoesNotContain("Hosting failed to start", router.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(errors, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("--- End of", StringComparison.Ordinal));
        Assert.DoesNotContain(router.Lines, l => l.Contains(" ERR]", StringComparison.Ordinal));
    }

    [Fact]
    public void Environment_variables_with_the_ROUTERHOST_prefix_override_configuration()
    {
        using RouterHostProcess router = RouterHostProcess.Start(["validate"], new Dictionary<string, string> { ["ROUTERHOST__Pipeline__BatchSize"] = "many" });

        Assert.True(router.WaitForExit(StartTimeout), router.Output);
        Assert.Equal(1, router.ExitCode);
        Assert.Contains("error: Pipeline:BatchSize: must be a whole number between 1 and 1024 (got 'many')", router.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plugins_command_lists_plugins_with_versions_capabilities_and_load_errors()
    {
        using RouterHostProcess router = RouterHostProcess.Start(["plugins", $"Plugins:Path={RepositoryPaths.TestPlugins}"]);

        Assert.True(router.WaitForExit(StartTimeout), router.Output);
        Assert.Equal(0, router.ExitCode);
        string output = router.Output;
        Assert.Matches($@"Memory\s+backend\s+1\.0\.0\s+{PluginContract.Major}\.{PluginContract.Minor}\s+Gso, MultiQueue\s+ok", output);
        Assert.Matches($@"Forward\s+stage\s+1\.0\.0\s+{PluginContract.Major}\.{PluginContract.Minor}\s+-\s+ok", output);
        Assert.Matches(@"Thrower\s+backend\s+.*error: its factory .* threw InvalidOperationException", output);
        Assert.Contains("FutureContract: 'RouterHost.TestPlugins.FutureContract.dll' was built against plugin contract 3.0", output, StringComparison.Ordinal);
        Assert.Contains(
            $"NewerMinor: 'RouterHost.TestPlugins.NewerMinor.dll' was built against plugin contract {PluginContract.Major}.{PluginContract.Minor + 1}, newer than this host's contract {PluginContract.Major}.{PluginContract.Minor}; update RouterHost",
            output,
            StringComparison.Ordinal);
        Assert.Contains($"  {RepositoryPaths.TestPlugins}  [Plugins:Path]", output, StringComparison.Ordinal);
        Assert.Contains($"  {RepositoryPaths.HostPlugins}  [package]", output, StringComparison.Ordinal);
    }

    /// <summary>Receives notifications until one matches (true) or <paramref name="timeout"/> passes (false).</summary>
    private static bool ReceiveUntil(Socket socket, Func<string, bool> match, TimeSpan timeout)
    {
        var buffer = new byte[512];
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (!socket.Poll(timeout - watch.Elapsed, SelectMode.SelectRead))
            {
                return false;
            }

            int n = socket.Receive(buffer);
            if (match(Encoding.UTF8.GetString(buffer, 0, n)))
            {
                return true;
            }
        }

        return false;
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[512];
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }
}
