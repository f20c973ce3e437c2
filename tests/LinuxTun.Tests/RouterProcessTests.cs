using System.Diagnostics;
using RouterHost.Linux.TestSupport;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>The real routerhost process loading LinuxTun from a plugin folder, as deployed.</summary>
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
}
