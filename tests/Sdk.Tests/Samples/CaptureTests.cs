using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using RouterHost.Linux.Namespaces;

namespace RouterHost.Sdk.Tests.Samples;

/// <summary>
/// samples/Capture built from the packed SDK in a clean folder, run by the real routerhost between two network
/// namespaces (a TUN interface in each, the router's Routing stage between them) with three capture stages after
/// routing: the README's example (ports, prefixes, protocols), one that keeps only UDP, and one that rotates every 1 KiB.
/// After pings and UDP datagrams of chosen sizes, tshark reads exactly the packets that passed from each.
/// </summary>
[NeedsRoot]
[Collection(PackedSdkCollection.Name)]
public sealed partial class CaptureTests(PackedSdkFixture sdk)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private static readonly int[] UdpPayloads = [100, 1000, 1400];

    [Fact]
    public void The_capture_files_hold_exactly_the_packets_that_passed_and_filter_and_rotation_work()
    {
        Requires.NetworkNamespaces();
        Assert.SkipUnless(File.Exists("/usr/bin/tshark"), "tshark is not installed (Debian package tshark)");

        string plugins = sdk.PluginsFolder("capture");
        string project = sdk.CopyFolder(Path.Combine(RepositoryPaths.Root, "samples", "Capture"), "Capture");
        DotnetResult build = sdk.Dotnet(project, "build", "-c", "Release", $"-p:RouterHostPluginsDir={plugins}");
        Assert.True(build.ExitCode == 0, build.Output);
        Assert.True(File.Exists(Path.Combine(plugins, "Capture", "RouterHost.Samples.Capture.dll")), build.Output);
        Assert.False(File.Exists(Path.Combine(plugins, "Capture", "RouterHost.Abstractions.dll")), "the SDK is the host's, never the plugin's");
        RepositoryPaths.CopyBuiltFolder(Path.Combine(RepositoryPaths.HostPlugins, "LinuxTun"), Path.Combine(plugins, "LinuxTun"));

        string work = sdk.NewFolder("capture-run");
        string all = Directory.CreateDirectory(Path.Combine(work, "all")).FullName;
        string udpOnly = Directory.CreateDirectory(Path.Combine(work, "udp")).FullName;
        string rotating = Directory.CreateDirectory(Path.Combine(work, "rotating")).FullName;

        using NetworkNamespace a = NetworkNamespace.Create("cpa");
        using NetworkNamespace b = NetworkNamespace.Create("cpb");
        foreach (NetworkNamespace ns in (NetworkNamespace[])[a, b])
        {
            // IPv4 only: no IPv6 link-local chatter (router solicitations, MLD) on the new TUN devices, so what crosses
            // the router is exactly the test's traffic.
            ExecResult sysctl = ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            Assert.True(sysctl.ExitCode == 0, sysctl.ToString());
        }

        string config = Path.Combine(work, "router.json");
        File.WriteAllText(config, Configuration(plugins, a.Name, b.Name, all, udpOnly, rotating));

        DateTimeOffset start;
        using (RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]))
        {
            Assert.True(router.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), router.Output);
            start = DateTimeOffset.UtcNow;

            ExecResult ping = a.Exec(TimeSpan.FromSeconds(30), "ping", "-n", "-c", "3", "-i", "0.2", "-W", "5", "10.2.0.2");
            Assert.True(ping.ExitCode == 0, $"{ping}\n{router.Output}");

            using Socket receiver = b.Run(() =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 5000 };
                socket.Bind(new IPEndPoint(IPAddress.Parse("10.2.0.2"), 0));
                return socket;
            });
            using Socket sender = a.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            byte[] received = new byte[2048];
            foreach (int size in UdpPayloads)
            {
                sender.SendTo(new byte[size], receiver.LocalEndPoint!);
                Assert.Equal(size, receiver.Receive(received));
            }

            // Every packet passed; wait for the writer to have written all of them, then stop the router (which closes
            // the files) so nothing later can hide in them.
            WaitFor(() => Rows(Files(all)).Count >= 9, router);
            WaitFor(() => Rows(Files(rotating)).Count >= 9, router);
            WaitFor(() => Rows(Files(udpOnly)).Count >= 3, router);
            router.Terminate();
            Assert.True(router.WaitForExit(TimeSpan.FromSeconds(10)), router.Output);
            Assert.Equal(0, router.ExitCode);
        }

        DateTimeOffset end = DateTimeOffset.UtcNow;
        string[] expected =
        [
            .. Enumerable.Repeat("tunA 10.1.0.1 10.2.0.2 1 84 84", 3).Zip(Enumerable.Repeat("tunB 10.2.0.2 10.1.0.1 1 84 84", 3)).SelectMany(p => new[] { p.First, p.Second }),
            .. UdpPayloads.Select(size => string.Create(CultureInfo.InvariantCulture, $"tunA 10.1.0.1 10.2.0.2 17 {size + 28} {size + 28}")),
        ];

        // The README's stage: exactly the packets that passed, at times inside the test's window.
        string file = Assert.Single(Files(all));
        Assert.Matches(@"/edge-\d{8}T\d{6}Z-00001\.pcapng$", file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(file));
        List<string[]> rows = Rows([file]);
        Assert.Equal(Sorted(expected), Sorted(rows.Select(r => string.Join(' ', r[1..]))));
        foreach (string[] row in rows)
        {
            var time = DateTimeOffset.FromUnixTimeMilliseconds((long)(decimal.Parse(row[0], CultureInfo.InvariantCulture) * 1000));
            Assert.InRange(time, start.AddMilliseconds(-1), end.AddMilliseconds(1));
        }

        Assert.All(Tshark(file, "frame.packet_flags_direction"), d => Assert.Equal("0x00000002", d[0]));

        // The filter: only the UDP datagrams.
        Assert.Equal(expected[6..], Rows(Files(udpOnly)).Select(r => string.Join(' ', r[1..])));

        // Rotation: several files, each readable and within the size, together every packet.
        string[] parts = Files(rotating);
        Assert.True(parts.Length >= 3, $"{parts.Length} rotated files");
        Assert.All(parts, p => Assert.True(new FileInfo(p).Length <= 1024 || Tshark(p, "frame.len").Count == 1, $"{p}: {new FileInfo(p).Length} bytes"));
        Assert.All(parts, p => Assert.NotEmpty(Tshark(p, "frame.len")));
        Assert.Equal(Sorted(expected), Sorted(Rows(parts).Select(r => string.Join(' ', r[1..]))));
    }

    // Lanes (one per TUN queue) hand packets to the writer in rounds: across lanes the file's order is only roughly
    // the time order, so packets of both interfaces are compared as a multiset.
    private static string[] Sorted(IEnumerable<string> rows) => [.. rows.Order(StringComparer.Ordinal)];

    private static string Configuration(string plugins, string a, string b, string all, string udpOnly, string rotating)
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "samples", "Capture", "README.md"));
        string example = ExampleBlock().Match(readme).Groups[1].Value;
        Assert.Contains("\"Type\": \"Capture\"", example, StringComparison.Ordinal);
        string json = example
            .Replace("/usr/local/lib/routerhost/plugins", plugins, StringComparison.Ordinal)
            .Replace("/var/log/routerhost/capture", all, StringComparison.Ordinal)
            .Replace("\"nsa\"", $"\"{a}\"", StringComparison.Ordinal)
            .Replace("\"nsb\"", $"\"{b}\"", StringComparison.Ordinal);

        // Two more capture stages after the README's, and no control socket (other routers run beside this one).
        string more = $$"""
            ,
                { "Type": "Capture", "Name": "udp-only", "Settings": { "Folder": "{{udpOnly}}", "Protocols": "udp" } },
                { "Type": "Capture", "Name": "rotating", "Settings": { "Folder": "{{rotating}}", "MaxFileBytes": 1024 } }
              ] },
              "Control": { "Socket": "off" },
            """;
        int stagesEnd = json.IndexOf("\n  ] },", StringComparison.Ordinal);
        Assert.True(stagesEnd > 0, "the README example's stage list ends with '  ] },'");
        return json[..stagesEnd] + more + json[(stagesEnd + "\n  ] },".Length)..];
    }

    private static string[] Files(string folder) => [.. Directory.GetFiles(folder, "*.pcapng").Order(StringComparer.Ordinal)];

    // time, interface, source, destination, protocol, length, captured length — of every packet of the files, in order.
    private static List<string[]> Rows(string[] files) =>
        [.. files.SelectMany(f => Tshark(f, "frame.time_epoch", "frame.interface_name", "ip.src", "ip.dst", "ip.proto", "frame.len", "frame.cap_len"))];

    private static List<string[]> Tshark(string file, params string[] fields)
    {
        var info = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])["-n", "-r", file, "-T", "fields", "-E", "occurrence=f", .. fields.SelectMany(f => new[] { "-e", f })])
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"tshark -r {file}: {errors.Result}");
        Assert.DoesNotContain("appears to be damaged", errors.Result, StringComparison.Ordinal);
        Assert.DoesNotContain("cut short", errors.Result, StringComparison.Ordinal);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split('\t'))];
    }

    private static void WaitFor(Func<bool> condition, RouterHostProcess router)
    {
        DateTime deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the capture files did not fill in time\n{router.Output}");
            Thread.Sleep(100);
        }
    }

    [GeneratedRegex("```json\\n(\\{\\n  \"Plugins\".*?\\n\\})\\n```", RegexOptions.Singleline)]
    private static partial Regex ExampleBlock();
}

/// <summary>samples/Capture's own unit tests (samples/Capture/tests), built from the packed SDK in a clean folder and run.</summary>
[Collection(PackedSdkCollection.Name)]
public sealed class CaptureSampleUnitTests(PackedSdkFixture sdk)
{
    [Fact]
    public void The_sample_unit_tests_pass_built_from_the_packages()
    {
        string project = sdk.CopyFolder(Path.Combine(RepositoryPaths.Root, "samples", "Capture"), "Capture");
        DotnetResult test = sdk.Dotnet(Path.Combine(project, "tests"), "test", "-c", "Release");
        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Matches(@"Passed!\s+- Failed:\s+0, Passed:\s+[1-9]\d*", test.Output);
    }
}
