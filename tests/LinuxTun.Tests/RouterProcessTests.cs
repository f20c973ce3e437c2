using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RouterHost.Netlink;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>The real routerhost process loading LinuxTun from a plugin folder, as deployed.</summary>
[NeedsRoot]
public sealed class RouterProcessTests
{
    [Fact]
    public void The_routerhost_process_loads_LinuxTun_from_its_folder_routes_pings_between_namespaces_and_removes_its_devices_on_SIGTERM()
    {
        string plugins = Path.Combine(Path.GetTempPath(), "routerhost-plugins-" + Guid.NewGuid().ToString("N")[..8]);
        RepositoryPaths.CopyBuiltFolder(Path.Combine(RepositoryPaths.HostPlugins, "LinuxTun"), Path.Combine(plugins, "LinuxTun"));
        RepositoryPaths.CopyBuiltFolder(Path.Combine(RepositoryPaths.TestPlugins, "TestStages"), Path.Combine(plugins, "TestStages"));
        using var a = NetworkNamespace.Create("proca");
        using var b = NetworkNamespace.Create("procb");
        string config = Path.Combine(plugins, "router.json");
        File.WriteAllText(config, $$"""
            {
              "Plugins": { "Path": "{{plugins}}" },
              "Pipeline": { "Stages": [ { "Type": "Cross", "Settings": { "A": "tunA", "B": "tunB" } } ] },
              "Interfaces": {
                "tunA": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{a.Name}}", "DeviceName": "rh0", "Queues": 2, "Addresses": [ "10.1.0.1/24" ], "Routes": [ "10.2.0.0/24" ] } },
                "tunB": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{b.Name}}", "DeviceName": "rh0", "Queues": 2, "Addresses": [ "10.2.0.2/24" ], "Routes": [ "10.1.0.0/24" ] } }
              }
            }
            """);
        try
        {
            using RouterHostProcess process = RouterHostProcess.Start(["run", "--config", config]);
            Assert.True(process.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), process.Output);

            ExecResult ping = a.Exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.2");
            Assert.True(ping.ExitCode == 0, ping.StdOut + ping.StdErr + process.Output);
            Assert.Contains("3 received", ping.StdOut, StringComparison.Ordinal);

            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                kill.WaitForExit();
                Assert.Equal(0, kill.ExitCode);
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(5)), process.Output);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains(process.Lines, l => l.Contains("offloads csum tso4 tso6", StringComparison.Ordinal));
            Assert.NotEqual(0, a.Ip("link", "show", "rh0").ExitCode);
            Assert.NotEqual(0, b.Ip("link", "show", "rh0").ExitCode);
        }
        finally
        {
            Directory.Delete(plugins, recursive: true);
        }
    }

    [Fact]
    public void After_a_SIGKILL_the_next_run_removes_what_the_killed_one_added_to_the_persistent_device_and_leaves_an_operators_additions()
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        string plugins = Path.Combine(Path.GetTempPath(), "routerhost-plugins-" + Guid.NewGuid().ToString("N")[..8]);
        RepositoryPaths.CopyBuiltFolder(Path.Combine(RepositoryPaths.HostPlugins, "LinuxTun"), Path.Combine(plugins, "LinuxTun"));
        RepositoryPaths.CopyBuiltFolder(Path.Combine(RepositoryPaths.TestPlugins, "TestStages"), Path.Combine(plugins, "TestStages"));
        using var ns = NetworkNamespace.Create("tunkill");
        string config = Path.Combine(plugins, "router.json");
        string Config(string routes) => $$"""
            {
              "Plugins": { "Path": "{{plugins}}" },
              "Pipeline": { "Stages": [ { "Type": "PassThrough" } ] },
              "Interfaces": {
                "tun": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{ns.Name}}", "DeviceName": "rhk0", "Persist": true,
                         "Addresses": [ "10.61.0.1/24", "fd61::1/64" ], "Routes": [ {{routes}} ] } }
              }
            }
            """;
        try
        {
            // The first run also routes 10.62.1.0/24, which the second run's configuration no longer asks for.
            File.WriteAllText(config, Config("\"10.62.0.0/24\", \"fd62::/64\", \"10.62.1.0/24\""));
            using (RouterHostProcess killed = RouterHostProcess.Start(["run", "--config", config]))
            {
                Assert.True(killed.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), killed.Output);
                ns.Ip("addr", "add", "10.61.0.99/24", "dev", "rhk0").EnsureSuccess();
                ns.Ip("route", "add", "10.63.0.0/24", "dev", "rhk0").EnsureSuccess();
                ns.Ip("-6", "route", "add", "fd63::/64", "dev", "rhk0").EnsureSuccess();
                killed.Signal(9);
                Assert.True(killed.WaitForExit(TimeSpan.FromSeconds(10)), killed.Output);
            }

            // Nothing cleaned up after the kill: the device holds the first run's marked addresses and routes.
            Assert.Equal(
                ["10.61.0.1/24", "10.62.0.0/24", "10.62.1.0/24", "fd61::1/64", "fd62::/64"],
                RouterHostsOn(ns, "rhk0"));

            File.WriteAllText(config, Config("\"10.62.0.0/24\", \"fd62::/64\""));
            using (RouterHostProcess next = RouterHostProcess.Start(["run", "--config", config]))
            {
                Assert.True(next.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), next.Output);
                Assert.Equal(["10.61.0.1/24", "10.62.0.0/24", "fd61::1/64", "fd62::/64"], RouterHostsOn(ns, "rhk0"));
                Assert.Contains("The address 10.61.0.1/24 on rhk0 was left by an earlier RouterHost run; adopting it", next.Output, StringComparison.Ordinal);
                Assert.Contains("Removed the route 10.62.1.0/24 an earlier RouterHost run left on rhk0", next.Output, StringComparison.Ordinal);
                next.Terminate();
                Assert.True(next.WaitForExit(TimeSpan.FromSeconds(10)), next.Output);
                Assert.Equal(0, next.ExitCode);
            }

            Assert.Empty(RouterHostsOn(ns, "rhk0"));
            string addresses = ns.Ip("addr", "show", "dev", "rhk0").EnsureSuccess().StdOut;
            Assert.DoesNotContain("10.61.0.1/", addresses, StringComparison.Ordinal);
            Assert.DoesNotContain("fd61::1/", addresses, StringComparison.Ordinal);
            Assert.Contains("inet 10.61.0.99/24", addresses, StringComparison.Ordinal);
            Assert.Contains("10.63.0.0/24 dev rhk0", ns.Ip("route").EnsureSuccess().StdOut, StringComparison.Ordinal);
            Assert.Contains("fd63::/64 dev rhk0", ns.Ip("-6", "route").EnsureSuccess().StdOut, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(plugins, recursive: true);
        }
    }

    // The addresses and routes on the device that carry RouterHost's mark, as "prefix/length", sorted.
    private static List<string> RouterHostsOn(NetworkNamespace ns, string device) => ns.Run(() =>
    {
        using var netlink = new RtnetlinkClient();
        int index = netlink.GetLinkIndex(device);
        return netlink.ListAddresses(index).Where(a => a.Protocol == RtProtocol.RouterHost).Select(a => $"{a.Address}/{a.PrefixLength}")
            .Concat(netlink.ListRoutes(AddressFamily.InterNetwork).Concat(netlink.ListRoutes(AddressFamily.InterNetworkV6))
                .Where(r => r.OutputInterfaceIndex == index && r.Protocol == RtProtocol.RouterHost).Select(r => $"{r.Destination}/{r.PrefixLength}"))
            .Order(StringComparer.Ordinal).ToList();
    });
}
