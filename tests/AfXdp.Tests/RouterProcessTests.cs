using System.Diagnostics;
using System.Globalization;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// The real routerhost process, loading AfXdp from the plugins folder it was deployed to, routing between two AF_XDP
/// interfaces; however it ends — SIGTERM, or SIGKILL with no chance to clean up — the devices are left without an
/// XDP program, because the program is held only by the process's BPF link.
/// </summary>
[NeedsRoot]
public sealed class RouterProcessTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("KILL")]
    public void After_the_routerhost_process_ends_by_signal_no_XDP_program_is_left_on_its_devices(string signal)
    {
        Requires.NetworkNamespaces();
        Assert.True(File.Exists(Path.Combine(RepositoryPaths.HostPlugins, "AfXdp", "RouterHost.Plugins.AfXdp.dll")), $"AfXdp was not deployed to {RepositoryPaths.HostPlugins}");
        using var a = NetworkNamespace.Create("xpa");
        using var r = NetworkNamespace.Create("xpr");
        using var b = NetworkNamespace.Create("xpb");
        using var left = VethPair.Create(a, "eth0", r, "xa", ["10.1.0.2/24"]);
        using var right = VethPair.Create(b, "eth0", r, "xb", ["10.2.0.2/24"]);
        a.Ip("route", "add", "default", "via", "10.1.0.1").EnsureSuccess();
        b.Ip("route", "add", "default", "via", "10.2.0.1").EnsureSuccess();
        string directory = Directory.CreateTempSubdirectory("rh-afxdp-").FullName;
        string config = Path.Combine(directory, "router.json");
        File.WriteAllText(config, $$"""
            {
              "Pipeline": { "Stages": [ { "Type": "Routing", "Settings": { "Routes": [
                  { "Destination": "10.1.0.0/24", "Interface": "xa" }, { "Destination": "10.2.0.0/24", "Interface": "xb" } ] } } ] },
              "Interfaces": {
                "xa": { "Backend": "AfXdp", "Settings": { "Namespace": "{{r.Name}}", "Addresses": [ "10.1.0.1/24" ] } },
                "xb": { "Backend": "AfXdp", "Settings": { "Namespace": "{{r.Name}}", "Addresses": [ "10.2.0.1/24" ] } }
              }
            }
            """);
        try
        {
            using RouterHostProcess process = RouterHostProcess.Start(["run", "--config", config]);
            Assert.True(process.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), process.Output);

            Assert.Contains(process.Lines, l => l.Contains("AF_XDP on xa", StringComparison.Ordinal) && l.Contains("XDP program in native mode", StringComparison.Ordinal));
            Assert.True(RoutedXdpNamespaces.HasXdpProgram(r, "xa"));
            Assert.True(RoutedXdpNamespaces.HasXdpProgram(r, "xb"));
            DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (a.Exec("ping", "-c", "1", "-W", "1", "10.2.0.2").ExitCode != 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "no ping crossed the router: " + process.Output);
            }

            ExecResult ping = a.Exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.2");
            Assert.Contains("3 received", ping.StdOut, StringComparison.Ordinal);

            using (Process kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                kill.WaitForExit();
                Assert.Equal(0, kill.ExitCode);
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(10)), process.Output);
            if (signal == "TERM")
            {
                Assert.Equal(0, process.ExitCode);
            }

            // The kernel releases a dead process's BPF link on its own; give it a moment, no more.
            deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while ((RoutedXdpNamespaces.HasXdpProgram(r, "xa") || RoutedXdpNamespaces.HasXdpProgram(r, "xb")) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            Assert.False(RoutedXdpNamespaces.HasXdpProgram(r, "xa"), r.Ip("-d", "link", "show", "xa").StdOut);
            Assert.False(RoutedXdpNamespaces.HasXdpProgram(r, "xb"), r.Ip("-d", "link", "show", "xb").StdOut);
            Assert.NotEqual(0, a.Exec("ping", "-c", "1", "-W", "1", "10.2.0.2").ExitCode);
            if (signal == "KILL")
            {
                // The killed run could not remove its addresses; the next run takes them as its own and removes them
                // at its close, and leaves an operator's address (a secondary in the same subnet) where it was.
                Assert.Equal(["10.1.0.1/24"], MarkedAddresses(r, "xa"));
                r.Ip("addr", "add", "10.1.0.99/24", "dev", "xa").EnsureSuccess();
                using (RouterHostProcess next = RouterHostProcess.Start(["run", "--config", config]))
                {
                    Assert.True(next.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), next.Output);
                    Assert.Contains("The address 10.1.0.1/24 on xa was left by an earlier RouterHost run; adopting it", next.Output, StringComparison.Ordinal);
                    next.Terminate();
                    Assert.True(next.WaitForExit(TimeSpan.FromSeconds(10)), next.Output);
                    Assert.Equal(0, next.ExitCode);
                }

                Assert.Empty(MarkedAddresses(r, "xa"));
                Assert.Empty(MarkedAddresses(r, "xb"));
                string remaining = r.Ip("addr", "show", "dev", "xa").EnsureSuccess().StdOut;
                Assert.DoesNotContain("10.1.0.1/", remaining, StringComparison.Ordinal);
                Assert.Contains("inet 10.1.0.99/24", remaining, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // The device's addresses that carry RouterHost's mark (IFA_PROTO), as "address/length".
    private static List<string> MarkedAddresses(NetworkNamespace ns, string device) => ns.Run(() =>
    {
        using var netlink = new Netlink.RtnetlinkClient();
        return netlink.ListAddresses(netlink.GetLinkIndex(device)).Where(a => a.Protocol == Netlink.RtProtocol.RouterHost).Select(a => $"{a.Address}/{a.PrefixLength}").ToList();
    });
}
