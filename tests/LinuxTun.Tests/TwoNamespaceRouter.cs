using System.Collections.Concurrent;
using System.Net;
using RouterHost.Pipeline;
using RouterHost.Plugins;
using RouterHost.TestPlugins.TestStages;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>
/// Two network namespaces, each with a real TUN device owned by one RouterHost pipeline that crosses packets
/// between them (the Cross stage): the kernel in namespace A talks to the kernel in namespace B only through
/// RouterHost. A gets 10.1.0.1/24 and fd01::1/64 and routes to B's prefixes; B the mirror image. The router is an
/// <see cref="InProcessRouter"/>.
/// </summary>
internal sealed class TwoNamespaceRouter : IDisposable
{
    public static readonly IPAddress AddressA4 = IPAddress.Parse("10.1.0.1");
    public static readonly IPAddress AddressB4 = IPAddress.Parse("10.2.0.2");
    public static readonly IPAddress AddressA6 = IPAddress.Parse("fd01::1");
    public static readonly IPAddress AddressB6 = IPAddress.Parse("fd02::2");

    private static readonly PluginCatalog s_catalog = PluginCatalog.Discover("/nonexistent", [typeof(LinuxTunBackendPlugin), typeof(CrossStagePlugin)]);

    private readonly InProcessRouter _router;

    private TwoNamespaceRouter(NetworkNamespace a, NetworkNamespace b, InProcessRouter router, string exchange)
    {
        A = a;
        B = b;
        _router = router;
        Exchange = exchange;
    }

    public NetworkNamespace A { get; }

    public NetworkNamespace B { get; }

    public Router Router => _router.Router;

    public PipelineRunner Runner => _router.Runner;

    public string Exchange { get; }

    public Exception? Fault => _router.Fault;

    /// <summary>What the Cross stage saw (superpackets by type, largest segment and header lengths, ...).</summary>
    public ConcurrentDictionary<string, long> Seen =>
        (ConcurrentDictionary<string, long>)AppContext.GetData($"RouterHost.TestStages.Cross/{Exchange}")!;

    /// <param name="offloadsA">The Offloads section for A's device, as JSON.</param>
    /// <param name="offloadsB">The Offloads section for B's device, as JSON.</param>
    public static TwoNamespaceRouter Start(string offloadsA = "{}", string offloadsB = "{}", int queues = 1, int mtu = 1500, int txQueueLength = 1000)
    {
        NetworkNamespace a = NetworkNamespace.Create("tuna");
        NetworkNamespace? b = null;
        try
        {
            b = NetworkNamespace.Create("tunb");
            string exchange = Guid.NewGuid().ToString("N");
            string json = $$"""
                {
                  "Pipeline": { "Stages": [ { "Type": "Cross", "Settings": { "A": "tunA", "B": "tunB", "Exchange": "{{exchange}}" } } ] },
                  "Interfaces": {
                    "tunA": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{a.Name}}", "DeviceName": "rh0", "Queues": {{queues}}, "Mtu": {{mtu}}, "TxQueueLength": {{txQueueLength}},
                              "Addresses": [ "10.1.0.1/24", "fd01::1/64" ], "Routes": [ "10.2.0.0/24", "fd02::/64" ], "Offloads": {{offloadsA}} } },
                    "tunB": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{b.Name}}", "DeviceName": "rh0", "Queues": {{queues}}, "Mtu": {{mtu}}, "TxQueueLength": {{txQueueLength}},
                              "Addresses": [ "10.2.0.2/24", "fd02::2/64" ], "Routes": [ "10.1.0.0/24", "fd01::/64" ], "Offloads": {{offloadsB}} } }
                  }
                }
                """;
            return new TwoNamespaceRouter(a, b, InProcessRouter.Start(InProcessRouter.Configuration(json), s_catalog, [a, b]), exchange);
        }
        catch
        {
            b?.Dispose();
            a.Dispose();
            throw;
        }
    }

    public TunContainer Container(string name) => (TunContainer)Router.Interfaces.Single(i => i.Name == name).Container;

    /// <summary>
    /// Sends <paramref name="bytesPerFlow"/> pseudo-random bytes over each of <paramref name="flows"/> TCP
    /// connections from A to B and returns, per flow, the SHA-256 of what was sent and of what arrived.
    /// </summary>
    public IReadOnlyList<(byte[] Sent, byte[] Received)> TransferAToB(bool ipv6, long bytesPerFlow, int flows = 1, int port = 5201) =>
        InProcessRouter.Transfer(A, B, ipv6 ? AddressB6 : AddressB4, bytesPerFlow, flows, port);

    /// <summary>TCP segments retransmitted so far by namespace <paramref name="ns"/>'s kernel.</summary>
    public static long RetransmittedSegments(NetworkNamespace ns) => TcpCounters(ns)["Tcp.RetransSegs"];

    /// <summary>
    /// The kernel's TCP counters in <paramref name="ns"/> (/proc/net/snmp "Tcp" and /proc/net/netstat "TcpExt"),
    /// keyed "Tcp.Name" and "TcpExt.Name".
    /// </summary>
    public static Dictionary<string, long> TcpCounters(NetworkNamespace ns)
    {
        var counters = new Dictionary<string, long>();
        foreach (string file in new[] { "/proc/net/snmp", "/proc/net/netstat" })
        {
            string[] lines = ns.Exec("cat", file).EnsureSuccess().StdOut.Split('\n');
            for (int i = 0; i + 1 < lines.Length; i++)
            {
                string[] names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                string[] values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (names.Length < 2 || values.Length < 2 || names[0] != values[0] || names[0] is not ("Tcp:" or "TcpExt:"))
                {
                    continue;
                }

                for (int k = 1; k < names.Length && k < values.Length; k++)
                {
                    if (long.TryParse(values[k], System.Globalization.CultureInfo.InvariantCulture, out long v))
                    {
                        counters[$"{names[0].TrimEnd(':')}.{names[k]}"] = v;
                    }
                }

                i++;
            }
        }

        return counters;
    }

    /// <summary>Packets the kernel of <paramref name="ns"/> dropped on its TUN device's transmit queue (RouterHost read too slowly).</summary>
    public static long TxDropped(NetworkNamespace ns)
    {
        string[] lines = ns.Exec("cat", "/sys/class/net/rh0/statistics/tx_dropped").StdOut.Split('\n');
        return long.TryParse(lines[0].Trim(), out long n) ? n : ParseIpStatistics(ns);
    }

    private static long ParseIpStatistics(NetworkNamespace ns)
    {
        // ip -s link: the line after "TX:  bytes packets errors dropped" holds the numbers.
        string[] lines = ns.Ip("-s", "link", "show", "rh0").EnsureSuccess().StdOut.Split('\n');
        int header = Array.FindIndex(lines, l => l.TrimStart().StartsWith("TX:", StringComparison.Ordinal));
        return long.Parse(lines[header + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The LinuxTun meter's counters, summed per interface.</summary>
    public static Dictionary<string, long> TunCounters() => InProcessRouter.MeterCounters(TunMetrics.MeterName);

    public void Dispose() => _router.Dispose();
}
