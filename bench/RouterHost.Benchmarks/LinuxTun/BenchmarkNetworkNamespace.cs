using System.Diagnostics;
using RouterHost.Linux;

namespace RouterHost.Benchmarks.LinuxTun;

/// <summary>
/// The network namespace a TUN benchmark runs in, <c>rh-bench-&lt;pid&gt;</c>: made with <c>ip netns add</c> (after
/// deleting a stale one of the same name), <c>lo</c> up, IPv4 forwarding off and IPv6 disabled, so nothing but the
/// benchmark's own traffic reaches its devices. <see cref="Dispose"/> always deletes it.
/// </summary>
internal sealed class BenchmarkNetworkNamespace : IDisposable
{
    private int _disposed;

    private BenchmarkNetworkNamespace(string name)
    {
        Name = name;
    }

    public string Name { get; }

    public static BenchmarkNetworkNamespace Create()
    {
        string name = $"rh-bench-{Environment.ProcessId}";
        Delete(name);
        Ip("netns", "add", name);
        var ns = new BenchmarkNetworkNamespace(name);
        try
        {
            Ip("-n", name, "link", "set", "lo", "up");

            // Before any device exists, so new devices inherit "default": no IPv6 link-local address, router
            // solicitations or MLD reports appearing in the reads; no forwarding, so a packet to a non-local
            // address is dropped at the routing decision (Ip InAddrErrors) without an ICMP reply.
            ns.SetSysctl("net/ipv6/conf/all/disable_ipv6", "1");
            ns.SetSysctl("net/ipv6/conf/default/disable_ipv6", "1");
            ns.SetSysctl("net/ipv4/conf/all/forwarding", "0");
            ns.SetSysctl("net/ipv4/conf/default/forwarding", "0");
            return ns;
        }
        catch
        {
            ns.Dispose();
            throw;
        }
    }

    /// <summary>Writes a <c>/proc/sys</c> value of this namespace (net sysctls follow the writing thread's namespace).</summary>
    public void SetSysctl(string path, string value) =>
        NetworkNamespaceThread.Run(Name, () => File.WriteAllText($"/proc/sys/{path}", value));

    /// <summary>Reads a counter of <c>/proc/net/snmp</c> (e.g. "Ip", "InAddrErrors") as this namespace sees it.</summary>
    public long SnmpCounter(string group, string counter) => NetworkNamespaceThread.Run(Name, () =>
    {
        string[] lines = File.ReadAllLines("/proc/thread-self/net/snmp");
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            string[] names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string[] values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (names.Length > 0 && names[0] == $"{group}:" && values.Length == names.Length)
            {
                int index = Array.IndexOf(names, counter);
                if (index > 0)
                {
                    return long.Parse(values[index], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        throw new InvalidOperationException($"/proc/net/snmp has no counter {group}:{counter}");
    });

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Delete(Name);
        }
    }

    private static void Delete(string name)
    {
        if (File.Exists(Path.Combine(NetworkNamespaceThread.NamedNamespaces, name)))
        {
            Ip("netns", "delete", name);
        }
    }

    private static void Ip(params string[] args)
    {
        var startInfo = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException("could not start ip");
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Trim()}");
        }
    }
}
