using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace RouterHost.Sdk.Tests;

/// <summary>
/// Issue 15's acceptance, as docs/plugins/authoring.md tells it: the templates installed from the packed feed, a stage
/// and a backend made from them in an empty folder whose only sources are the local feed and the standard one, built
/// and published into a plugins folder, and a real routerhost running both with the page's configuration: IP packets
/// cross it both ways through the backend's links and the stage, which counts them and drops the ones too long.
/// Every command of the page is one this test runs (with its paths replaced by the test's own).
/// </summary>
[Collection(PackedSdkCollection.Name)]
public sealed partial class TemplateTests(PackedSdkFixture sdk)
{
    private const string DocFeed = "/path/to/routerhost/dist/packages";
    private const string DocPlugins = "/usr/local/lib/routerhost/plugins";
    private const string DocConfig = "router.json";
    private const int Packets = 20;
    private const int TooLong = 3;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static string Doc => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "plugins", "authoring.md"));

    [Fact]
    public void A_stage_and_a_backend_made_from_the_templates_carry_packets_in_a_running_router()
    {
        string doc = Doc;
        List<string> commands = [.. ShellBlock().Matches(doc).SelectMany(m => m.Groups[1].Value.Split('\n'))];
        string work = sdk.NewFolder("authoring");
        string plugins = sdk.PluginsFolder("authoring");
        string config = Path.Combine(work, DocConfig);

        // The page's nuget.config: the local feed and the standard source, nothing else.
        Match xml = XmlBlock().Match(doc);
        Assert.True(xml.Success, "docs/plugins/authoring.md has no ```xml nuget.config");
        File.WriteAllText(Path.Combine(work, "nuget.config"), xml.Groups[1].Value.Replace(DocFeed, sdk.Feed, StringComparison.Ordinal));

        Assert.Contains("scripts/pack", commands); // the fixture ran it
        Documented(commands, $"dotnet new install {DocFeed}/RouterHost.Templates.{sdk.Version}.nupkg", work, plugins);
        Documented(commands, "dotnet new routerhost-stage -n Counter", work, plugins);
        Documented(commands, "dotnet new routerhost-backend -n Link", work, plugins);
        Documented(commands, $"dotnet build Counter -c Release -p:RouterHostPluginsDir={DocPlugins}", work, plugins);
        Documented(commands, $"dotnet publish Link -c Release -p:RouterHostPluginsDir={DocPlugins}", work, plugins);

        foreach (string plugin in (string[])["Counter", "Link"])
        {
            string folder = Path.Combine(plugins, plugin);
            Assert.True(File.Exists(Path.Combine(folder, plugin + ".dll")), $"{plugin} was not deployed to {folder}");
            Assert.True(File.Exists(Path.Combine(folder, "RouterHost.Settings.dll")), "the plugin's private dependency is not beside it");
            string[] shared = [.. Directory.GetFiles(folder, "*.dll").Select(Path.GetFileName).Where(n => n!.StartsWith("RouterHost.Abstractions", StringComparison.Ordinal)
                || n.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal))!];
            Assert.True(shared.Length == 0, $"{folder} holds what the host provides: {string.Join(", ", shared)}");
        }

        using var left = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var right = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        JsonNode settings = JsonNode.Parse(JsonBlock().Match(doc).Groups[1].Value)!;
        settings["Plugins"]!["Path"] = plugins;
        settings["Control"]!["Socket"] = Path.Combine(work, "control.sock");
        settings["Interfaces"]!["link0"]!["Settings"]!["Peer"] = left.Client.LocalEndPoint!.ToString();
        settings["Interfaces"]!["link1"]!["Settings"]!["Peer"] = right.Client.LocalEndPoint!.ToString();
        File.WriteAllText(config, settings.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        Assert.Contains($"routerhost validate --config {DocConfig}", commands);
        (int validated, string validateOutput) = RouterHostProcess.Run("validate", "--config", config);
        Assert.True(validated == 0, validateOutput);

        Assert.Contains($"routerhost run --config {DocConfig}", commands);
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);
        Assert.True(router.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), router.Output);

        Assert.Contains($"routerhost show --config {DocConfig} --json", commands);
        JsonElement status = Show(config);
        IPEndPoint link0 = IPEndPoint.Parse(Interface(status, "link0").GetProperty("status").GetProperty("listen").GetString()!);
        IPEndPoint link1 = IPEndPoint.Parse(Interface(status, "link1").GetProperty("status").GetProperty("listen").GetString()!);

        // 10.1.0.0/16 is behind link0, 10.2.0.0/16 behind link1: routing sends each packet out of the other link.
        Exchange(left, link0, right, "10.1.0.5", "10.2.0.9", router);
        Exchange(right, link1, left, "10.2.0.9", "10.1.0.5", router);

        // The stage saw every packet and dropped the long ones (counters are published at the end of a batch).
        JsonElement counter = default;
        DateTime until = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < until)
        {
            counter = Show(config).GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "Counter");
            if (counter.GetProperty("status").GetProperty("packets").GetInt64() == 2 * (Packets + TooLong))
            {
                break;
            }

            Thread.Sleep(100);
        }

        JsonElement counted = counter.GetProperty("status");
        Assert.Equal(2 * (Packets + TooLong), counted.GetProperty("packets").GetInt64());
        Assert.Equal(2 * Packets, counted.GetProperty("passed").GetInt64());
        Assert.Equal(2 * TooLong, counted.GetProperty("dropped_too_long").GetInt64());
        Assert.Equal(2 * TooLong, counter.GetProperty("dropped").GetProperty("Counter.too_long").GetInt64());

        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(20)), router.Output);
    }

    /// <summary>
    /// Sends <see cref="Packets"/> packets that fit and <see cref="TooLong"/> that do not from <paramref name="from"/> into
    /// the link at <paramref name="link"/>, and receives the ones that fit, routed (TTL one less), at <paramref name="to"/>.
    /// </summary>
    private static void Exchange(UdpClient from, IPEndPoint link, UdpClient to, string source, string destination, RouterHostProcess router)
    {
        for (int i = 0; i < Packets + TooLong; i++)
        {
            byte[] packet = Ipv4Udp(IPAddress.Parse(source), IPAddress.Parse(destination), i, i < Packets ? 100 : 1200);
            from.Send(packet, link);
        }

        to.Client.ReceiveTimeout = (int)Deadline.TotalMilliseconds;
        var seen = new HashSet<int>();
        while (seen.Count < Packets)
        {
            IPEndPoint? sender = null;
            byte[] got;
            try
            {
                got = to.Receive(ref sender);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                Assert.Fail($"{seen.Count} of {Packets} packets {source} -> {destination} arrived:\n{router.Output}");
                return;
            }

            Assert.Equal(100, got.Length);
            Assert.Equal(63, got[8]); // routed: TTL 64 - 1
            Assert.Equal(IPAddress.Parse(source), new IPAddress(got.AsSpan(12, 4)));
            Assert.Equal(IPAddress.Parse(destination), new IPAddress(got.AsSpan(16, 4)));
            int seq = BinaryPrimitives.ReadInt32BigEndian(got.AsSpan(28));
            Assert.Equal(Ipv4Udp(IPAddress.Parse(source), IPAddress.Parse(destination), seq, 100).AsSpan(20).ToArray(), got.AsSpan(20).ToArray());
            Assert.True(seen.Add(seq), $"packet {seq} arrived twice");
        }
    }

    /// <summary>An IPv4 UDP packet of <paramref name="length"/> bytes, TTL 64, valid header checksum, payload from <paramref name="seq"/>.</summary>
    private static byte[] Ipv4Udp(IPAddress source, IPAddress destination, int seq, int length)
    {
        byte[] p = new byte[length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)length);
        p[8] = 64;
        p[9] = 17;
        source.TryWriteBytes(p.AsSpan(12), out _);
        destination.TryWriteBytes(p.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 40001);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), (ushort)(length - 20));
        BinaryPrimitives.WriteInt32BigEndian(p.AsSpan(28), seq);
        for (int i = 32; i < length; i++)
        {
            p[i] = (byte)(seq + i);
        }

        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(i));
        }

        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), (ushort)~sum);
        return p;
    }

    private static JsonElement Interface(JsonElement status, string name) =>
        status.GetProperty("interfaces").EnumerateArray().Single(i => i.GetProperty("name").GetString() == name);

    private static JsonElement Show(string config)
    {
        (int exit, string output) = RouterHostProcess.Run("show", "--config", config, "--json");
        Assert.True(exit == 0, output);
        using JsonDocument document = JsonDocument.Parse(output);
        return document.RootElement.Clone();
    }

    /// <summary>Runs a command the page shows (it must be there verbatim), its paths replaced by the test's.</summary>
    private void Documented(List<string> commands, string line, string work, string plugins)
    {
        Assert.Contains(line, commands);
        List<string> args = [.. line.Replace(DocFeed, sdk.Feed, StringComparison.Ordinal).Replace(DocPlugins, plugins, StringComparison.Ordinal).Split(' ').Skip(1)];
        if (args[0] == "new")
        {
            args.AddRange(["--debug:custom-hive", sdk.TemplateHive]);
        }

        DotnetResult result = sdk.Dotnet(work, [.. args]);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [GeneratedRegex("```sh\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex("```xml\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex XmlBlock();

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
