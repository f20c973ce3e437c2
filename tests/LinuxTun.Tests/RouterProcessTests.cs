using System.Diagnostics;
using RouterHost.Linux.TestSupport;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>The real routerhost process loading LinuxTun from a plugin folder, as deployed.</summary>
public sealed class RouterProcessTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public void The_routerhost_process_loads_LinuxTun_from_its_folder_routes_pings_between_namespaces_and_removes_its_devices_on_SIGTERM()
    {
        string repo = FindRepoRoot();
        string hostDir = Path.Combine(repo, "src", "Host", "bin", Configuration, "net10.0");
        string plugins = Path.Combine(Path.GetTempPath(), "routerhost-plugins-" + Guid.NewGuid().ToString("N")[..8]);
        CopyTree(Path.Combine(hostDir, "plugins", "LinuxTun"), Path.Combine(plugins, "LinuxTun"));
        CopyTree(Path.Combine(repo, "tests", "Host.Tests", "bin", Configuration, "net10.0", "testplugins", "TestStages"), Path.Combine(plugins, "TestStages"));
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
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(hostDir, "routerhost.dll"));
        info.ArgumentList.Add("run");
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        try
        {
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var watch = Stopwatch.StartNew();
            while (!output.Any(l => l.Contains("RouterHost ready", StringComparison.Ordinal)))
            {
                Assert.False(process.HasExited, string.Join('\n', output));
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), string.Join('\n', output));
                Thread.Sleep(50);
            }

            ExecResult ping = a.Exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "10.2.0.2");
            Assert.True(ping.ExitCode == 0, ping.StdOut + ping.StdErr + string.Join('\n', output));
            Assert.Contains("3 received", ping.StdOut, StringComparison.Ordinal);

            using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                kill.WaitForExit();
                Assert.Equal(0, kill.ExitCode);
            }

            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(5)), string.Join('\n', output));
            Assert.Equal(0, process.ExitCode);
            Assert.Contains(output, l => l.Contains("offloads csum tso4 tso6", StringComparison.Ordinal));
            Assert.NotEqual(0, a.Ip("link", "show", "rh0").ExitCode);
            Assert.NotEqual(0, b.Ip("link", "show", "rh0").ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            Directory.Delete(plugins, recursive: true);
        }
    }

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "RouterHost.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("RouterHost.sln not found");
    }

    private static void CopyTree(string source, string target)
    {
        Assert.True(Directory.Exists(source), $"{source} was not built");
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (string dir in Directory.GetDirectories(source))
        {
            CopyTree(dir, Path.Combine(target, Path.GetFileName(dir)));
        }
    }
}
