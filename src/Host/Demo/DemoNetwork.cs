using System.Diagnostics;
using System.Globalization;

namespace RouterHost.Demo;

/// <summary>
/// The demo's two network namespaces, <c>rhdemo-PID-a</c> and <c>rhdemo-PID-b</c>, joined by a veth pair (the underlay:
/// 192.168.77.1/24 and 192.168.77.2/24). Made with iproute2's <c>ip</c>; removed by <see cref="Dispose"/> (which also
/// ends anything still running inside), and namespaces left by a demo whose process is gone are swept first.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class DemoNetwork : IDisposable
{
    public const string Prefix = "rhdemo-";

    /// <summary>The demo's temporary directories (configuration, keys, control sockets): <c>/tmp/routerhost-demo-PID-…</c>.</summary>
    public const string TempPrefix = "routerhost-demo-";
    private int _disposed;

    private DemoNetwork(string a, string b)
    {
        A = a;
        B = b;
    }

    public string A { get; }

    public string B { get; }

    public static DemoNetwork Create()
    {
        SweepStale();
        string a = $"{Prefix}{Environment.ProcessId}-a";
        string b = $"{Prefix}{Environment.ProcessId}-b";
        var network = new DemoNetwork(a, b);
        try
        {
            Ip("netns", "add", a);
            Ip("netns", "add", b);
            Ip("-n", a, "link", "set", "lo", "up");
            Ip("-n", b, "link", "set", "lo", "up");
            Ip("-n", a, "link", "add", "ul0", "type", "veth", "peer", "name", "ul0", "netns", b);
            Ip("-n", a, "address", "add", "192.168.77.1/24", "dev", "ul0");
            Ip("-n", b, "address", "add", "192.168.77.2/24", "dev", "ul0");
            Ip("-n", a, "link", "set", "ul0", "up");
            Ip("-n", b, "link", "set", "ul0", "up");
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Runs a program inside a namespace (<c>ip netns exec</c>) and returns its exit code and output.</summary>
    public static (int ExitCode, string Output) Exec(string ns, TimeSpan timeout, params string[] command) =>
        Run(IpPath, timeout, ["netns", "exec", ns, .. command]);

    /// <summary>Demo namespaces of this machine (for tests and for the sweep).</summary>
    public static IReadOnlyList<string> Existing() =>
        Directory.Exists("/var/run/netns")
            ? Directory.GetFileSystemEntries("/var/run/netns", Prefix + "*").Select(Path.GetFileName).OfType<string>().ToList()
            : [];

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Delete(A);
            Delete(B);
        }
    }

    private static void SweepStale()
    {
        // A killed demo's directory holds its nodes' private keys: it goes too.
        foreach (string directory in Directory.GetDirectories(Path.GetTempPath(), TempPrefix + "*"))
        {
            string[] parts = Path.GetFileName(directory)[TempPrefix.Length..].Split('-');
            if (parts.Length >= 1 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int owner) && !IsDemo(owner))
            {
                try
                {
                    Directory.Delete(directory, recursive: true);
                }
                catch (IOException ex)
                {
                    Console.Error.WriteLine($"warning: could not remove {directory}, left by an earlier demo: {ex.Message}");
                }
            }
        }

        foreach (string name in Existing())
        {
            string[] parts = name[Prefix.Length..].Split('-');
            if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && !IsDemo(pid))
            {
                Delete(name);
            }
        }
    }

    private static bool IsDemo(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Contains("demo", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    private static void Delete(string name)
    {
        // Whatever still runs inside (a node that did not stop) goes first, then the namespace and its veth end.
        (int exit, string pids) = Run(IpPath, TimeSpan.FromSeconds(10), ["netns", "pids", name]);
        if (exit == 0)
        {
            foreach (string line in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    _ = Linux.Interop.Libc.kill(pid, Linux.Interop.Libc.SIGKILL);
                }
            }
        }

        Run(IpPath, TimeSpan.FromSeconds(10), ["netns", "delete", name]);
    }

    private static string IpPath =>
        File.Exists("/usr/sbin/ip") ? "/usr/sbin/ip" : File.Exists("/sbin/ip") ? "/sbin/ip" : File.Exists("/usr/bin/ip") ? "/usr/bin/ip"
        : throw new DemoException("iproute2's ip is not installed (apt-get install iproute2; scripts/run installs it)");

    private static void Ip(params string[] args)
    {
        (int exit, string output) = Run(IpPath, TimeSpan.FromSeconds(10), args);
        if (exit != 0)
        {
            throw new DemoException($"`ip {string.Join(' ', args)}` failed: {output.Trim()}");
        }
    }

    private static (int ExitCode, string Output) Run(string program, TimeSpan timeout, string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(info) ?? throw new DemoException($"{program} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new DemoException($"`{program} {string.Join(' ', args)}` did not finish in {timeout.TotalSeconds:0} s");
        }

        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }
}
