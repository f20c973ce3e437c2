using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Configuration;
using RouterHost.Linux;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.Plugins.AfXdp;

namespace RouterHost.Benchmarks.AfXdp;

/// <summary>
/// Three namespaces made for the run — sender <c>rh-bxa-&lt;pid&gt;</c> (eth0 10.1.0.2/24), middle
/// <c>rh-bxr-&lt;pid&gt;</c> (xa 10.1.0.1/24, xb 10.2.0.1/24) and receiver <c>rh-bxb-&lt;pid&gt;</c> (eth0 10.2.0.2/24),
/// joined by two veth pairs — forwarding between xa and xb either by the kernel (<c>ip_forward=1</c> in the middle)
/// or by an in-process RouterHost with two AfXdp interfaces on xa and xb and its Routing stage (<c>ip_forward=0</c>;
/// the XDP program takes the IP frames before the kernel sees them). The same veths serve both: switching detaches
/// one forwarder before the other starts. IPv6 is off everywhere (no neighbour discovery or MLD in the traffic), and
/// the sender's veth end sends full UDP checksums (a veth otherwise leaves them to an offload an XDP-redirected frame
/// never gets). The namespaces are deleted at process exit (and stale ones of this pid before creating them).
/// </summary>
internal sealed class XdpBenchmarkTopology : IDisposable
{
    private static readonly PluginCatalog s_catalog = PluginCatalog.Discover("/nonexistent", [.. PluginDiscovery.BuiltInFactories, typeof(AfXdpBackendPlugin)]);
    private static XdpBenchmarkTopology? s_shared;

    private Router? _router;
    private PipelineRunner? _runner;
    private int _disposed;

    private XdpBenchmarkTopology()
    {
        string pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Sender = $"rh-bxa-{pid}";
        Middle = $"rh-bxr-{pid}";
        Receiver = $"rh-bxb-{pid}";
    }

    public string Sender { get; }

    public string Middle { get; }

    public string Receiver { get; }

    public static IPEndPoint Destination { get; } = new(IPAddress.Parse("10.2.0.2"), 9000);

    /// <summary>The run's topology, made on first use and deleted when the process exits.</summary>
    public static XdpBenchmarkTopology Shared
    {
        get
        {
            if (s_shared is null)
            {
                var topology = new XdpBenchmarkTopology();
                topology.Create();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => topology.Dispose();
                s_shared = topology;
            }

            return s_shared;
        }
    }

    /// <summary>Packets the RouterHost run counted as dropped, by reason (0 when the kernel forwards).</summary>
    public Dictionary<string, long> RouterDrops()
    {
        var drops = new Dictionary<string, long>();
        if (_runner is null)
        {
            return drops;
        }

        foreach (QueueStatistics q in _runner.Metrics.SnapshotQueues())
        {
            foreach ((string reason, long count) in q.ReceiveDrops.Concat(q.SendDrops))
            {
                drops[reason] = drops.GetValueOrDefault(reason) + count;
            }
        }

        return drops;
    }

    public void UseKernelForwarding()
    {
        StopRouter();
        SetSysctl(Middle, "net/ipv4/ip_forward", "1");
    }

    public void UseRouterHost(int batchSize = 64)
    {
        StopRouter();
        SetSysctl(Middle, "net/ipv4/ip_forward", "0");
        string json = $$"""
            {
              "Pipeline": { "BatchSize": {{batchSize}}, "Stages": [ { "Type": "Routing", "Settings": { "Routes": [
                  { "Destination": "10.1.0.0/24", "Interface": "xa" }, { "Destination": "10.2.0.0/24", "Interface": "xb" } ] } } ] },
              "Interfaces": {
                "xa": { "Backend": "AfXdp", "Settings": { "Namespace": "{{Middle}}" } },
                "xb": { "Backend": "AfXdp", "Settings": { "Namespace": "{{Middle}}" } }
              }
            }
            """;
        IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();
        List<Abstractions.ConfigurationProblem> problems = ConfigurationValidator.Validate(configuration, s_catalog, out RouterOptions options);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join("; ", problems));
        }

        _router = Router.Build(options, configuration, s_catalog, NullLoggerFactory.Instance);
        _runner = new PipelineRunner(_router, NullLogger<PipelineRunner>.Instance);
        _runner.Start(_ => { });
    }

    public void StopRouter()
    {
        _runner?.Stop(TimeSpan.FromSeconds(5));
        _runner?.Dispose();
        _router?.Dispose();
        _runner = null;
        _router = null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        StopRouter();
        foreach (string ns in new[] { Sender, Middle, Receiver })
        {
            Delete(ns);
        }
    }

    private void Create()
    {
        foreach (string ns in new[] { Sender, Middle, Receiver })
        {
            Delete(ns);
            Run("ip", "netns", "add", ns);
            Run("ip", "-n", ns, "link", "set", "lo", "up");
            SetSysctl(ns, "net/ipv6/conf/all/disable_ipv6", "1");
            SetSysctl(ns, "net/ipv6/conf/default/disable_ipv6", "1");
        }

        Run("ip", "-n", Sender, "link", "add", "eth0", "type", "veth", "peer", "name", "xa", "netns", Middle);
        Run("ip", "-n", Receiver, "link", "add", "eth0", "type", "veth", "peer", "name", "xb", "netns", Middle);
        Run("ip", "-n", Sender, "addr", "add", "10.1.0.2/24", "dev", "eth0");
        Run("ip", "-n", Receiver, "addr", "add", "10.2.0.2/24", "dev", "eth0");
        Run("ip", "-n", Middle, "addr", "add", "10.1.0.1/24", "dev", "xa");
        Run("ip", "-n", Middle, "addr", "add", "10.2.0.1/24", "dev", "xb");
        foreach ((string ns, string device) in new[] { (Sender, "eth0"), (Receiver, "eth0"), (Middle, "xa"), (Middle, "xb") })
        {
            Run("ip", "-n", ns, "link", "set", device, "up");
        }

        Run("ip", "-n", Sender, "route", "add", "default", "via", "10.1.0.1");
        Run("ip", "-n", Receiver, "route", "add", "default", "via", "10.2.0.1");
        Run("ip", "netns", "exec", Sender, "ethtool", "-K", "eth0", "tx", "off");
    }

    private static void SetSysctl(string ns, string path, string value) =>
        NetworkNamespaceThread.Run(ns, () => File.WriteAllText($"/proc/sys/{path}", value));

    private static void Delete(string ns)
    {
        if (File.Exists(Path.Combine(NetworkNamespaceThread.NamedNamespaces, ns)))
        {
            Run("ip", "netns", "delete", ns);
        }
    }

    private static void Run(string program, params string[] args)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {program}");
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Trim()}");
        }
    }
}
