using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Hosting;

/// <summary><c>routerhost show</c> against a running <c>routerhost run</c>, over its control socket.</summary>
public sealed class ShowCommandTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static string Config(TempDirectory dir, string socket) => dir.WriteFile("router.json", $$"""
        {
          "Plugins": { "Path": "{{RepositoryPaths.TestPlugins}}" },
          "Control": { "Socket": "{{socket}}" },
          "Pipeline": { "Stages": [
            { "Type": "Firewall", "Settings": { "Rules": [ { "Action": "drop", "Protocol": "tcp", "Ports": [ "23" ] } ] } },
            { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
          "Interfaces": {
            "mem0": { "Backend": "Memory", "Settings": { "Mode": "Generate", "PacketSize": 200 } },
            "mem1": { "Backend": "Memory", "Settings": { "Mode": "Generate" } } }
        }
        """);

    [Fact]
    public void Show_prints_interfaces_stages_and_stage_status_of_the_running_router_and_json_on_request()
    {
        using var dir = new TempDirectory();
        string socket = dir.Combine("control.sock");
        File.WriteAllText(socket, "left by a crashed router"); // a stale file is replaced
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", Config(dir, socket)]);
        Assert.True(router.WaitForOutput("RouterHost ready", StartTimeout), router.Output);
        Assert.Contains($"Control socket: {socket}", router.Output, StringComparison.Ordinal);
        Thread.Sleep(300);

        using RouterHostProcess show = RouterHostProcess.Start(["show", "--socket", socket]);
        Assert.True(show.WaitForExit(StartTimeout), show.Output);
        Assert.Equal(0, show.ExitCode);
        string text = show.Output;
        Assert.Contains("interface: mem0 (Memory, 1 queue(s))", text, StringComparison.Ordinal);
        Assert.Matches(@"  received: [1-9]\d* packets", text);
        Assert.Contains("stage: Firewall (Firewall)", text, StringComparison.Ordinal);
        Assert.Contains("  default policy: outbound accept, inbound drop", text, StringComparison.Ordinal);
        Assert.Matches(@"  connections: \d+\n", text.ReplaceLineEndings("\n"));
        Assert.Contains("  connection capacity: 65536", text, StringComparison.Ordinal);
        Assert.Contains("stage: Forward (Forward)", text, StringComparison.Ordinal);

        using RouterHostProcess json = RouterHostProcess.Start(["show", "--socket", socket, "--json"]);
        Assert.True(json.WaitForExit(StartTimeout), json.Output);
        using JsonDocument document = JsonDocument.Parse(json.Output);
        Assert.Equal(router.Id, document.RootElement.GetProperty("pid").GetInt32());
        Assert.Equal(PluginContract.Text, document.RootElement.GetProperty("contract").GetString());
        Assert.Equal(2, document.RootElement.GetProperty("stages").GetArrayLength());

        // A second router on the same socket leaves the first one's alone and runs without one.
        using RouterHostProcess second = RouterHostProcess.Start(["run", "--config", Config(dir, socket)]);
        Assert.True(second.WaitForOutput("RouterHost ready", StartTimeout), second.Output);
        Assert.Contains("another running router answers on it", second.Output, StringComparison.Ordinal);
        second.Terminate();
        Assert.True(second.WaitForExit(TimeSpan.FromSeconds(10)), second.Output);

        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(10)), router.Output);
        Assert.False(File.Exists(socket), "the socket file outlived the router");
    }

    [Fact]
    public void Show_without_a_running_router_says_so_and_exits_1()
    {
        using var dir = new TempDirectory();
        using RouterHostProcess show = RouterHostProcess.Start(["show", "--socket", dir.Combine("none.sock")]);
        Assert.True(show.WaitForExit(StartTimeout), show.Output);
        Assert.Equal(1, show.ExitCode);
        Assert.Contains("cannot reach a running router at", show.Output, StringComparison.Ordinal);
    }
}
