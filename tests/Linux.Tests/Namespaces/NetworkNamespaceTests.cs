using System.Diagnostics;
using System.Globalization;
using RouterHost.Netlink;

namespace RouterHost.Linux.Tests.Namespaces;

[NeedsRoot]
public sealed class NetworkNamespaceTests
{
    public NetworkNamespaceTests() => Requires.NetworkNamespaces();

    [Fact]
    public void Namespaces_are_supported_on_this_machine_with_no_reason_given()
    {
        Assert.True(NetworkNamespace.IsSupported);
        Assert.Null(NetworkNamespace.UnsupportedReason);
    }

    [Fact]
    public void Create_makes_a_uniquely_named_namespace_with_lo_up_and_Dispose_removes_it_even_twice()
    {
        var ns = NetworkNamespace.Create("nstest");
        var other = NetworkNamespace.Create("nstest");
        try
        {
            Assert.StartsWith($"rh-nstest-{Environment.ProcessId}-", ns.Name, StringComparison.Ordinal);
            Assert.NotEqual(ns.Name, other.Name);
            Assert.True(File.Exists(ns.Path));
            Assert.Contains(ns.Name, NetworkNamespace.RunIp(TimeSpan.FromSeconds(10), "netns", "list").StdOut, StringComparison.Ordinal);
            Assert.Contains("<LOOPBACK,UP,LOWER_UP>", ns.Ip("-o", "link", "show", "dev", "lo").EnsureSuccess().StdOut, StringComparison.Ordinal);
        }
        finally
        {
            ns.Dispose();
            other.Dispose();
        }

        ns.Dispose();
        Assert.True(ns.IsDisposed);
        Assert.False(File.Exists(ns.Path));
        Assert.DoesNotContain(ns.Name, NetworkNamespace.RunIp(TimeSpan.FromSeconds(10), "netns", "list").StdOut, StringComparison.Ordinal);
        Assert.Throws<ObjectDisposedException>(() => ns.Run(static () => { }));
    }

    [Fact]
    public void The_namespace_is_removed_when_the_test_body_throws()
    {
        string? path = null;

        void Body()
        {
            using var ns = NetworkNamespace.Create("nstest");
            path = ns.Path;
            throw new InvalidOperationException("test body failed");
        }

        Assert.Throws<InvalidOperationException>(Body);

        Assert.NotNull(path);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_bad_prefix_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => NetworkNamespace.Create("Bad-Prefix"));

        Assert.Contains("must be 1 to 16 lowercase letters and digits", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_executes_on_a_thread_inside_the_namespace()
    {
        using var ns = NetworkNamespace.Create("nstest");
        ns.Ip("link", "add", "inside0", "type", "veth", "peer", "name", "inside1").EnsureSuccess();
        var outsideNamespace = NetNamespaceOfThisThread();

        var (insideNamespace, devices, links, threadId) = ns.Run(() =>
        {
            using var client = new RtnetlinkClient();
            return (
                NetNamespaceOfThisThread(),
                File.ReadAllLines("/proc/thread-self/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).Order().ToArray(),
                client.ListLinks().Select(l => l.Name).Order().ToArray(),
                Environment.CurrentManagedThreadId);
        });

        Assert.NotEqual(outsideNamespace, insideNamespace);
        Assert.Equal(NetNamespaceOfFile(ns.Path), insideNamespace);
        Assert.Equal(["inside0", "inside1", "lo"], devices);
        Assert.Equal(["inside0", "inside1", "lo"], links);
        Assert.NotEqual(Environment.CurrentManagedThreadId, threadId);
        Assert.Equal(outsideNamespace, NetNamespaceOfThisThread());
        using var outsideClient = new RtnetlinkClient();
        Assert.Null(outsideClient.FindLink("inside0"));
    }

    [Fact]
    public void A_socket_made_in_Run_stays_in_the_namespace_after_the_thread_has_ended()
    {
        using var ns = NetworkNamespace.Create("nstest");
        ns.Ip("link", "add", "kept0", "type", "veth", "peer", "name", "kept1").EnsureSuccess();

        using var client = ns.Run(() => new RtnetlinkClient());

        Assert.NotNull(client.FindLink("kept0"));
        Assert.Equal(3, client.ListLinks().Count);
    }

    [Fact]
    public void Run_rethrows_the_bodys_exception_with_its_type_and_stack()
    {
        using var ns = NetworkNamespace.Create("nstest");

        var error = Assert.Throws<FormatException>(() => ns.Run(ThrowFormatException));

        Assert.Equal("thrown inside", error.Message);
        Assert.Contains(nameof(ThrowFormatException), error.StackTrace, StringComparison.Ordinal);
        ns.Run(() => Assert.Equal(NetNamespaceOfFile(ns.Path), NetNamespaceOfThisThread()));
    }

    [Fact]
    public void Exec_runs_a_program_inside_and_returns_exit_code_and_output()
    {
        using var ns = NetworkNamespace.Create("nstest");

        var devices = ns.Exec("cat", "/proc/net/dev").EnsureSuccess();
        var result = ns.Exec("sh", "-c", "echo out; echo err >&2; exit 3");

        Assert.Equal("lo", Assert.Single(devices.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(2)).Split(':')[0].Trim());
        Assert.Equal(3, result.ExitCode);
        Assert.Equal("out\n", result.StdOut);
        Assert.Equal("err\n", result.StdErr);
        Assert.False(result.Succeeded);
        Assert.Contains("exited with 3: err", Assert.Throws<InvalidOperationException>(() => result.EnsureSuccess()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exec_kills_a_program_that_outlives_its_timeout()
    {
        using var ns = NetworkNamespace.Create("nstest");
        var clock = Stopwatch.StartNew();

        var error = Assert.Throws<TimeoutException>(() => ns.Exec(TimeSpan.FromMilliseconds(300), "sleep", "30"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("sleep 30", error.Message, StringComparison.Ordinal);
        Assert.Empty(NetworkNamespace.RunIp(TimeSpan.FromSeconds(10), "netns", "pids", ns.Name).StdOut.Trim());
    }

    [Fact]
    public void RemoveStale_deletes_namespaces_whose_creator_is_gone_and_keeps_live_ones()
    {
        using var live = NetworkNamespace.Create("sweeptest");
        var deadPid = PidOfAnExitedProcess();
        var deadCreator = $"rh-sweeptest-{deadPid}-1-aaaaaa";
        // Our own pid with another start time: a pid the kernel has reused since the crashed run.
        var reusedPid = $"rh-sweeptest-{Environment.ProcessId}-1-bbbbbb";
        var otherPrefix = $"rh-sweepother-{deadPid}-1-cccccc";
        var notOurs = $"rh-sweeptest-notours";
        foreach (var name in new[] { deadCreator, reusedPid, otherPrefix, notOurs })
        {
            NetworkNamespace.RunIp(TimeSpan.FromSeconds(10), "netns", "add", name).EnsureSuccess();
        }

        try
        {
            var removed = NetworkNamespace.RemoveStale("sweeptest");

            Assert.Equal(new[] { deadCreator, reusedPid }.Order(StringComparer.Ordinal), removed.Order(StringComparer.Ordinal));
            Assert.False(File.Exists(Path.Combine(NetworkNamespace.NetnsDirectory, deadCreator)));
            Assert.False(File.Exists(Path.Combine(NetworkNamespace.NetnsDirectory, reusedPid)));
            Assert.True(File.Exists(live.Path));
            Assert.True(File.Exists(Path.Combine(NetworkNamespace.NetnsDirectory, otherPrefix)));
            Assert.True(File.Exists(Path.Combine(NetworkNamespace.NetnsDirectory, notOurs)));
            Assert.Equal([otherPrefix], NetworkNamespace.RemoveStale("sweepother"));
        }
        finally
        {
            foreach (var name in new[] { deadCreator, reusedPid, otherPrefix, notOurs })
            {
                NetworkNamespace.RunIp(TimeSpan.FromSeconds(10), "netns", "delete", name);
            }
        }
    }

    [Fact]
    public void A_veth_pair_joins_two_namespaces_with_addresses_and_carries_traffic_between_them()
    {
        using var a = NetworkNamespace.Create("nstest");
        using var b = NetworkNamespace.Create("nstest");
        using var veth = VethPair.Create(a, "va", b, "vb", ["192.0.2.1/24", "2001:db8::1/64"], ["192.0.2.2/24", "2001:db8::2/64"]);

        var ping4 = a.Exec("ping", "-c", "1", "-W", "5", "192.0.2.2");
        var ping6 = a.Exec("ping", "-6", "-c", "1", "-W", "5", "2001:db8::2");

        Assert.True(ping4.Succeeded, ping4.StdOut + ping4.StdErr);
        Assert.True(ping6.Succeeded, ping6.StdOut + ping6.StdErr);
        Assert.Contains("192.0.2.2/24", b.Ip("-o", "addr", "show", "dev", "vb").StdOut, StringComparison.Ordinal);
        Assert.NotEqual(veth.FirstMacAddress, veth.SecondMacAddress);
        var linkB = b.Run(() =>
        {
            using var client = new RtnetlinkClient();
            return client.FindLink("vb");
        });
        Assert.Equal(veth.SecondMacAddress, linkB!.HardwareAddress);

        veth.Dispose();
        Assert.False(a.Ip("link", "show", "dev", "va").Succeeded);
        Assert.False(b.Ip("link", "show", "dev", "vb").Succeeded);
    }

    [Fact]
    public void A_namespace_pair_is_two_new_namespaces_joined_by_an_addressed_veth_pair_and_Dispose_removes_both()
    {
        var net = NamespacePair.Create("nspair", "va", "vb", ["192.0.2.1/24", "2001:db8::1/64"], ["192.0.2.2/24", "2001:db8::2/64"]);
        try
        {
            Assert.StartsWith($"rh-nspaira-{Environment.ProcessId}-", net.A.Name, StringComparison.Ordinal);
            Assert.StartsWith($"rh-nspairb-{Environment.ProcessId}-", net.B.Name, StringComparison.Ordinal);
            Assert.Equal(("va", "vb"), (net.Link.FirstName, net.Link.SecondName));
            var ping4 = net.A.Exec("ping", "-c", "1", "-W", "5", "192.0.2.2");
            var ping6 = net.B.Exec("ping", "-6", "-c", "1", "-W", "5", "2001:db8::1");
            Assert.True(ping4.Succeeded, ping4.StdOut + ping4.StdErr);
            Assert.True(ping6.Succeeded, ping6.StdOut + ping6.StdErr);
        }
        finally
        {
            net.Dispose();
        }

        net.Dispose();
        Assert.True(net.A.IsDisposed);
        Assert.True(net.B.IsDisposed);
        Assert.False(File.Exists(net.A.Path));
        Assert.False(File.Exists(net.B.Path));
    }

    private static void ThrowFormatException() => throw new FormatException("thrown inside");

    private static string NetNamespaceOfThisThread() => new FileInfo("/proc/thread-self/ns/net").LinkTarget!;

    private static string NetNamespaceOfFile(string path) =>
        string.Create(CultureInfo.InvariantCulture, $"net:[{NetworkNamespaceInode(path)}]");

    private static ulong NetworkNamespaceInode(string path)
    {
        // stat -c %i on the nsfs bind mount gives the namespace's inode number.
        var result = ChildProcess.Run("stat", ["-L", "-c", "%i", path], timeout: TimeSpan.FromSeconds(10)).EnsureSuccess();
        return ulong.Parse(result.StdOut.Trim(), CultureInfo.InvariantCulture);
    }

    private static int PidOfAnExitedProcess()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }
}
