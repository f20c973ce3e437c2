using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using RouterHost.Linux.Namespaces;

namespace RouterHost.Sdk.Tests.Samples;

/// <summary>
/// samples/AfPacket built only from the packed SDK, dropped into a plugins folder and run by the real routerhost in a
/// router namespace between two client namespaces (veth pairs; IP forwarding off in the router's namespace, so only
/// RouterHost forwards): the kernels of the clients are the oracle (ping answers, a byte-exact TCP stream).
/// </summary>
[NeedsRoot]
[Collection(PackedSdkCollection.Name)]
public sealed class AfPacketTests(PackedSdkFixture sdk, ITestOutputHelper output)
{
    private const long Megabytes100 = 100L << 20;
    private static readonly string Sample = Path.Combine(RepositoryPaths.Root, "samples", "AfPacket");
    private static readonly IPAddress A4 = IPAddress.Parse("10.1.0.2");
    private static readonly IPAddress B4 = IPAddress.Parse("10.2.0.2");
    private static readonly IPAddress A6 = IPAddress.Parse("fd01::2");
    private static readonly IPAddress B6 = IPAddress.Parse("fd02::2");

    [Fact]
    public void Built_from_the_packages_it_routes_a_100_MB_TCP_stream_byte_exact_and_ping_both_ways()
    {
        Requires.NetworkNamespaces();
        string plugins = Build();
        using NetworkNamespace a = NetworkNamespace.Create("afpa");
        using NetworkNamespace r = NetworkNamespace.Create("afpr");
        using NetworkNamespace b = NetworkNamespace.Create("afpb");
        // The example configuration's devices: lan0 and wan0 in the router's namespace.
        using VethPair lan = VethPair.Create(a, "eth0", r, "lan0", ["10.1.0.2/24", "fd01::2/64"], ["10.1.0.1/24", "fd01::1/64"]);
        using VethPair wan = VethPair.Create(b, "eth0", r, "wan0", ["10.2.0.2/24", "fd02::2/64"], ["10.2.0.1/24", "fd02::1/64"]);
        a.Ip("route", "add", "default", "via", "10.1.0.1").EnsureSuccess();
        b.Ip("route", "add", "default", "via", "10.2.0.1").EnsureSuccess();
        a.Ip("-6", "route", "add", "default", "via", "fd01::1").EnsureSuccess();
        b.Ip("-6", "route", "add", "default", "via", "fd02::1").EnsureSuccess();
        r.Exec("sysctl", "-qw", "net.ipv4.ip_forward=0").EnsureSuccess();
        r.Exec("sysctl", "-qw", "net.ipv6.conf.all.forwarding=0").EnsureSuccess();
        Assert.Equal("0", r.Exec("sysctl", "-n", "net.ipv4.ip_forward").EnsureSuccess().StdOut.Trim());

        string work = sdk.NewFolder("afpacket-run");
        string config = Path.Combine(work, "router.json");
        JsonNode settings = JsonNode.Parse(File.ReadAllText(Path.Combine(Sample, "router.example.json")))!;
        settings["Plugins"]!["Path"] = plugins;
        settings["Control"] = new JsonObject { ["Socket"] = "off" };
        File.WriteAllText(config, settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        (int validated, string validateOutput) = RouterHostProcess.Run("validate", "--config", config);
        Assert.True(validated == 0, validateOutput);
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config], networkNamespace: r.Name);
        Assert.True(router.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), router.Output);
        Assert.Contains("AF_PACKET on lan0", router.Output, StringComparison.Ordinal);

        // The first packets wait for ARP (the backend asks, the clients answer): ping until one comes back.
        WarmUp(a, B4, router);
        WarmUp(b, A4, router);
        ExecResult there = a.Exec("ping", "-c", "5", "-i", "0.2", "-W", "2", B4.ToString());
        ExecResult back = b.Exec("ping", "-c", "5", "-i", "0.2", "-W", "2", A4.ToString());
        Assert.True(there.ExitCode == 0 && there.StdOut.Contains("5 received", StringComparison.Ordinal), there.StdOut + there.StdErr + router.Output);
        Assert.True(back.ExitCode == 0 && back.StdOut.Contains("5 received", StringComparison.Ordinal), back.StdOut + back.StdErr + router.Output);
        // Routed by RouterHost, not by the router namespace's kernel: one hop, TTL 63.
        Assert.Contains("ttl=63", there.StdOut, StringComparison.Ordinal);

        // IPv6 too: the backend resolves the clients by neighbour solicitation.
        WarmUp(a, B6, router);
        ExecResult there6 = a.Exec("ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", B6.ToString());
        ExecResult back6 = b.Exec("ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", A6.ToString());
        Assert.True(there6.ExitCode == 0 && there6.StdOut.Contains("3 received", StringComparison.Ordinal), there6.StdOut + there6.StdErr + router.Output);
        Assert.True(back6.ExitCode == 0 && back6.StdOut.Contains("3 received", StringComparison.Ordinal), back6.StdOut + back6.StdErr + router.Output);

        var clock = Stopwatch.StartNew();
        (byte[] sent, byte[] received) = Transfer(a, b, B4, Megabytes100, router);
        clock.Stop();
        Assert.Equal(sent, received);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"100 MB A → B through the AfPacket backend in {clock.Elapsed.TotalSeconds:0.00} s: {Megabytes100 * 8 / clock.Elapsed.TotalSeconds / 1e6:0} Mbit/s"));

        // The kernel kept its addresses and answered for them: A resolved its gateway through it.
        Assert.Contains(Mac(lan.SecondMacAddress), a.Ip("neigh", "show", "10.1.0.1", "dev", "eth0").EnsureSuccess().StdOut, StringComparison.Ordinal);
        Assert.Equal("0", r.Exec("sysctl", "-n", "net.ipv4.ip_forward").EnsureSuccess().StdOut.Trim());

        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(20)), router.Output);
        Assert.Contains("AF_PACKET on wan0 closed", router.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Its_unit_tests_pass_built_from_the_packages()
    {
        string project = sdk.CopyFolder(Sample, "afpacket-tests");
        DotnetResult test = sdk.Dotnet(Path.Combine(project, "tests"), "test", "-c", "Release");
        Assert.True(test.ExitCode == 0, test.Output);
        Assert.Contains("Failed:     0", test.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Its_README_shows_the_example_configuration_the_router_runs_here()
    {
        string readme = File.ReadAllText(Path.Combine(Sample, "README.md"));
        string example = File.ReadAllText(Path.Combine(Sample, "router.example.json")).Trim();
        Assert.Contains("```json\n" + example + "\n```", readme, StringComparison.Ordinal);
    }

    /// <summary>Builds the sample from the packages into a new trusted plugins folder; returns the folder.</summary>
    private string Build()
    {
        string project = sdk.CopyFolder(Sample, "afpacket");
        string plugins = sdk.PluginsFolder("afpacket");
        DotnetResult build = sdk.Dotnet(project, "build", "AfPacket.csproj", "-c", "Release", $"-p:RouterHostPluginsDir={plugins}");
        Assert.True(build.ExitCode == 0, build.Output);
        string folder = Path.Combine(plugins, "AfPacket");
        Assert.True(File.Exists(Path.Combine(folder, "RouterHost.Samples.AfPacket.dll")), build.Output);
        Assert.True(File.Exists(Path.Combine(folder, "RouterHost.Packets.dll")), "the sample's private dependency is not beside it");
        Assert.False(File.Exists(Path.Combine(folder, "RouterHost.Abstractions.dll")), "the SDK was copied beside the plugin");
        return plugins;
    }

    /// <summary>
    /// Sends <paramref name="bytes"/> pseudo-random bytes over TCP from <paramref name="from"/> to a listener on
    /// <paramref name="server"/> in <paramref name="to"/>; returns the SHA-256 of what was sent and of what arrived.
    /// </summary>
    private static (byte[] Sent, byte[] Received) Transfer(NetworkNamespace from, NetworkNamespace to, IPAddress server, long bytes, RouterHostProcess router)
    {
        using Socket listener = to.Run(() =>
        {
            var s = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(server, 0));
            s.Listen(1);
            return s;
        });
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Task<byte[]> receiver = Task.Run(() =>
        {
            using Socket connection = listener.Accept();
            connection.ReceiveTimeout = 60_000;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[256 * 1024];
            int n;
            while ((n = connection.Receive(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
            }

            return hash.GetHashAndReset();
        });

        using Socket client = from.Run(() => new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        client.SendTimeout = 60_000;
        client.Connect(new IPEndPoint(server, port));
        using var sent = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var random = new Random(15);
        var chunk = new byte[128 * 1024];
        for (long left = bytes; left > 0; left -= chunk.Length)
        {
            random.NextBytes(chunk);
            int length = (int)Math.Min(left, chunk.Length);
            client.Send(chunk, 0, length, SocketFlags.None);
            sent.AppendData(chunk, 0, length);
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.True(receiver.Wait(TimeSpan.FromSeconds(120)), $"the receiver did not finish: {router.Output}");
        return (sent.GetHashAndReset(), receiver.Result);
    }

    private static void WarmUp(NetworkNamespace from, IPAddress target, RouterHostProcess router)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (from.Exec("ping", target.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "-6" : "-4", "-c", "1", "-W", "1", target.ToString()).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{target} never answered a ping from {from.Name}: {router.Output}");
        }
    }

    private static string Mac(System.Net.NetworkInformation.PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
