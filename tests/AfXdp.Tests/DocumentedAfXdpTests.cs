namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// The AfXdp interface of docs/configuration.md ("## AfXdp backend settings") run as written by the routerhost process:
/// its device <c>enp3s0f0</c> is a veth of that name with two queues in the router's namespace, its other end a host
/// on the documented subnet. The router takes both queues and answers the host on its address, over AF_XDP.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class DocumentedAfXdpTests
{
    [Fact]
    public void The_documented_AfXdp_interface_serves_both_queues_and_answers_on_its_address()
    {
        Requires.NetworkNamespaces();
        string interfaces = DocumentedText.Json("configuration.md", "## AfXdp backend settings");
        Assert.Contains("\"Device\": \"enp3s0f0\", \"QueueIds\": [ 0, 1 ], \"Addresses\": [ \"192.0.2.1/24\" ]", interfaces, StringComparison.Ordinal);

        using var r = NetworkNamespace.Create("xdr");
        using var host = NetworkNamespace.Create("xdh");
        Assert.True(r.Ip("link", "add", "enp3s0f0", "numtxqueues", "2", "numrxqueues", "2", "type", "veth", "peer", "name", "eth0", "numtxqueues", "2", "numrxqueues", "2").Succeeded);
        r.Ip("link", "set", "eth0", "netns", host.Name).EnsureSuccess();
        r.Ip("link", "set", "enp3s0f0", "up").EnsureSuccess();
        host.Ip("addr", "add", "192.0.2.2/24", "dev", "eth0").EnsureSuccess();
        host.Ip("link", "set", "eth0", "up").EnsureSuccess();

        string directory = Directory.CreateTempSubdirectory("rh-afxdp-doc-").FullName;
        try
        {
            string config = Path.Combine(directory, "router.json");
            File.WriteAllText(config, $$"""
                {
                  "Control": { "Socket": "{{directory}}/control.sock" },
                  "Pipeline": { "Stages": [ { "Type": "Routing" } ] },
                  {{interfaces}}
                }
                """);
            File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config], networkNamespace: r.Name);
            Assert.True(router.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), router.Output);

            ExecResult ping = host.Exec(TimeSpan.FromSeconds(30), "ping", "-c", "3", "-i", "0.2", "-w", "15", "192.0.2.1");
            Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{router.Output}");
            Assert.Contains("inet 192.0.2.1/24", r.Ip("addr", "show", "dev", "enp3s0f0").EnsureSuccess().StdOut, StringComparison.Ordinal);
            Assert.True(RoutedXdpNamespaces.HasXdpProgram(r, "enp3s0f0"));

            var (showExit, show) = RouterHostProcess.Run("show", "--socket", Path.Combine(directory, "control.sock"));
            Assert.True(showExit == 0, show);
            Assert.Contains("interface: wan (AfXdp, 2 queue(s))", show, StringComparison.Ordinal);

            router.Terminate();
            Assert.True(router.WaitForExit(TimeSpan.FromSeconds(30)), router.Output);
            Assert.Equal(0, router.ExitCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
