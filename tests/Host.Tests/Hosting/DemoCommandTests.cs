using System.Globalization;
using System.Text.RegularExpressions;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Hosting;

/// <summary>
/// <c>routerhost demo</c> as a user runs it (the README's first command), and that it leaves nothing behind: no
/// namespace, no veth, no node process — after it finishes, after Ctrl-C, when a node dies, and when the demo itself
/// is killed.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed partial class DemoCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static bool Unsupported => !File.Exists("/dev/net/tun") || !File.Exists("/usr/sbin/ip") || !File.Exists("/usr/bin/ping");

    private const string Why = "the demo needs /dev/net/tun, iproute2 and iputils-ping (scripts/test installs them)";

    [Fact]
    public void The_demo_shows_the_handshake_a_ping_and_throughput_then_leaves_nothing_behind()
    {
        Assert.SkipWhen(Unsupported, Why);
        using RouterHostProcess demo = RouterHostProcess.Start(["demo", "--seconds", "2"]);
        Assert.True(demo.WaitForExit(Timeout), demo.Output);
        string output = demo.Output;
        Assert.True(demo.ExitCode == 0, output);
        Assert.Matches(@"Handshake: a initiates to b \.\.\. completed \(\d+ ms", output);
        Assert.Contains("3 packets transmitted, 3 received", output, StringComparison.Ordinal);
        Assert.Matches(@"\d+\.\d\d Gbit/s  a: .* sent, .* received   b: .* sent, .* received", output);
        Assert.Matches(@"Result: \d+\.\d\d Gbit/s through the tunnel", output);
        Assert.Contains("Cleaning up", output, StringComparison.Ordinal);
        AssertNothingLeft(demo.Id, NodePids(output));
    }

    [Fact]
    public void SIGINT_ends_a_waiting_demo_and_it_cleans_up()
    {
        Assert.SkipWhen(Unsupported, Why);
        using RouterHostProcess demo = RouterHostProcess.Start(["demo", "--seconds", "0", "--wait"]);
        Assert.True(demo.WaitForOutput("Running until Ctrl-C", Timeout), demo.Output);
        demo.Signal(2);
        Assert.True(demo.WaitForExit(TimeSpan.FromSeconds(30)), demo.Output);
        Assert.Contains("Stopped.", demo.Output, StringComparison.Ordinal);
        AssertNothingLeft(demo.Id, NodePids(demo.Output));
    }

    [Fact]
    public void When_a_node_dies_the_demo_says_so_exits_1_and_still_removes_everything()
    {
        Assert.SkipWhen(Unsupported, Why);
        using RouterHostProcess demo = RouterHostProcess.Start(["demo", "--seconds", "0", "--wait"]);
        Assert.True(demo.WaitForOutput("Running until Ctrl-C", Timeout), demo.Output);
        int[] nodes = NodePids(demo.Output);
        Assert.Equal(0, Kill(nodes[0], 9)); // node b
        Assert.True(demo.WaitForExit(TimeSpan.FromSeconds(30)), demo.Output);
        Assert.True(demo.ExitCode == 1, demo.Output);
        Assert.True(demo.Output.Contains($"node b (pid {nodes[0]}) died", StringComparison.Ordinal), demo.Output);
        AssertNothingLeft(demo.Id, nodes);
    }

    [Fact]
    public void A_killed_demo_takes_its_nodes_with_it_and_the_next_demo_sweeps_its_namespaces()
    {
        Assert.SkipWhen(Unsupported, Why);
        int killed;
        int[] nodes;
        using (RouterHostProcess demo = RouterHostProcess.Start(["demo", "--seconds", "0", "--wait"]))
        {
            Assert.True(demo.WaitForOutput("Running until Ctrl-C", Timeout), demo.Output);
            nodes = NodePids(demo.Output);
            killed = demo.Id;
            demo.Signal(9);
            Assert.True(demo.WaitForExit(TimeSpan.FromSeconds(10)));
        }

        // The kernel ends the nodes with their parent (PR_SET_PDEATHSIG).
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (nodes.Any(Alive) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        Assert.DoesNotContain(nodes, Alive);
        using RouterHostProcess next = RouterHostProcess.Start(["demo", "--seconds", "0"]);
        Assert.True(next.WaitForExit(Timeout), next.Output);
        Assert.True(next.ExitCode == 0, next.Output);
        AssertNothingLeft(killed, nodes);
        AssertNothingLeft(next.Id, NodePids(next.Output));
    }

    private static void AssertNothingLeft(int demoPid, int[] nodes)
    {
        string prefix = $"rhdemo-{demoPid.ToString(CultureInfo.InvariantCulture)}-";
        string[] left = Directory.Exists("/var/run/netns") ? Directory.GetFileSystemEntries("/var/run/netns", prefix + "*") : [];
        Assert.Empty(left);
        Assert.DoesNotContain(nodes, Alive);
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), $"routerhost-demo-{demoPid.ToString(CultureInfo.InvariantCulture)}-*"));
    }

    private static int[] NodePids(string output) =>
        ReadyPid().Matches(output).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();

    private static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    private static int Kill(int pid, int signal) => kill(pid, signal);

    [GeneratedRegex(@"ready \(pid (\d+)\)")]
    private static partial Regex ReadyPid();
}
