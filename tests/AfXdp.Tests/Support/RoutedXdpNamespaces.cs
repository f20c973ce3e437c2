using System.Net;
using RouterHost.Pipeline;
using RouterHost.Plugins.LinuxTun;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// An in-process RouterHost whose Routing stage joins two host namespaces, A (10.1.0.2/24, fd01::2/64) and B
/// (10.2.0.2/24, fd02::2/64), each of which routes everything else through it:
/// <list type="bullet">
/// <item><see cref="Topology.XdpToXdp"/>: A's veth end eth0 faces xa in the router namespace R, B's faces xb; both
/// xa and xb are AfXdp interfaces (native XDP on veth, copy-mode sockets), with the router's addresses 10.1.0.1 /
/// 10.2.0.1 (and fd01::1 / fd02::1) on them so the kernel answers ARP and neighbour discovery for them.</item>
/// <item><see cref="Topology.XdpToTun"/>: A as above through xa; B is a LinuxTun device rh0 in namespace B.</item>
/// </list>
/// The hosts' veth ends send full checksums (<c>ethtool -K eth0 tx off</c>): a veth otherwise leaves TCP/UDP
/// checksums to an offload that a frame redirected by XDP never gets (the kernel's own forwarding would finish them).
/// The router is an <see cref="InProcessRouter"/>.
/// </summary>
internal sealed class RoutedXdpNamespaces : IDisposable
{
    public static readonly IPAddress A4 = IPAddress.Parse("10.1.0.2");
    public static readonly IPAddress B4 = IPAddress.Parse("10.2.0.2");
    public static readonly IPAddress A6 = IPAddress.Parse("fd01::2");
    public static readonly IPAddress B6 = IPAddress.Parse("fd02::2");

    private static readonly PluginCatalog s_catalog = PluginCatalog.Discover("/nonexistent", [.. Plugins.PluginDiscovery.BuiltInFactories, typeof(AfXdpBackendPlugin), typeof(LinuxTunBackendPlugin)]);

    private readonly InProcessRouter _router;

    private RoutedXdpNamespaces(NetworkNamespace a, NetworkNamespace r, NetworkNamespace b, InProcessRouter router)
    {
        A = a;
        R = r;
        B = b;
        _router = router;
    }

    public enum Topology
    {
        XdpToXdp,
        XdpToTun,
    }

    public NetworkNamespace A { get; }

    /// <summary>The namespace of the router's AF_XDP devices xa (and xb).</summary>
    public NetworkNamespace R { get; }

    public NetworkNamespace B { get; }

    public Router Router => _router.Router;

    public PipelineRunner Runner => _router.Runner;

    public Exception? Fault => _router.Fault;

    /// <param name="topology">What B is behind.</param>
    /// <param name="extraXdpSettings">More AfXdp settings, each after a comma.</param>
    /// <param name="tunMtu">The MTU of B's TUN (XdpToTun).</param>
    /// <param name="extraStages">Stages after Routing, each after a comma; "@R" names the router's namespace.</param>
    /// <param name="configuredRoutes">False to configure no route: the interfaces' addresses are then all the router knows.</param>
    public static RoutedXdpNamespaces Start(Topology topology, string extraXdpSettings = "", int tunMtu = 1500, string extraStages = "", bool configuredRoutes = true)
    {
        var owned = new List<IDisposable>();
        try
        {
            NetworkNamespace a = Own(owned, NetworkNamespace.Create("xdpa"));
            NetworkNamespace r = Own(owned, NetworkNamespace.Create("xdpr"));
            NetworkNamespace b = Own(owned, NetworkNamespace.Create("xdpb"));
            Own(owned, VethPair.Create(a, "eth0", r, "xa", ["10.1.0.2/24", "fd01::2/64"]));
            Host(a, "10.1.0.1", "fd01::1");
            string second;
            if (topology == Topology.XdpToXdp)
            {
                Own(owned, VethPair.Create(b, "eth0", r, "xb", ["10.2.0.2/24", "fd02::2/64"]));
                Host(b, "10.2.0.1", "fd02::1");
                second = $$"""
                    "xb": { "Backend": "AfXdp", "Settings": { "Namespace": "{{r.Name}}", "Device": "xb", "Addresses": [ "10.2.0.1/24", "fd02::1/64" ] {{extraXdpSettings}} } }
                    """;
            }
            else
            {
                second = $$"""
                    "xb": { "Backend": "LinuxTun", "Settings": { "Namespace": "{{b.Name}}", "DeviceName": "rh0", "Queues": 1, "Mtu": {{tunMtu}},
                            "Addresses": [ "10.2.0.2/24", "fd02::2/64" ], "Routes": [ "10.1.0.0/24", "fd01::/64" ] } }
                    """;
            }

            string routes = configuredRoutes
                ? """
                  { "Destination": "10.1.0.0/24", "Interface": "xa" }, { "Destination": "fd01::/64", "Interface": "xa" },
                  { "Destination": "10.2.0.0/24", "Interface": "xb" }, { "Destination": "fd02::/64", "Interface": "xb" }
                  """
                : string.Empty;
            string json = $$"""
                {
                  "Pipeline": { "Stages": [ { "Type": "Routing", "Settings": {
                      "Routes": [ {{routes}} ],
                      "IcmpSource": { "IPv4": "10.1.0.1", "IPv6": "fd01::1" } } } {{extraStages.Replace("\"@R\"", $"\"{r.Name}\"", StringComparison.Ordinal)}} ] },
                  "Interfaces": {
                    "xa": { "Backend": "AfXdp", "Settings": { "Namespace": "{{r.Name}}", "Device": "xa", "Addresses": [ "10.1.0.1/24", "fd01::1/64" ] {{extraXdpSettings}} } },
                    {{second}}
                  }
                }
                """;
            return new RoutedXdpNamespaces(a, r, b, InProcessRouter.Start(InProcessRouter.Configuration(json), s_catalog, owned));
        }
        catch
        {
            InProcessRouter.Release(owned);
            throw;
        }
    }

    public AfXdpContainer Container(string name) => (AfXdpContainer)Router.Interfaces.Single(i => i.Name == name).Container;

    /// <summary>What the runner counted for the interface's queues, summed (drops by reason name).</summary>
    public (long Received, long Sent, Dictionary<string, long> Drops) Counters(string iface)
    {
        long received = 0, sent = 0;
        var drops = new Dictionary<string, long>();
        foreach (QueueStatistics q in Runner.Metrics.SnapshotQueues().Where(q => q.Interface == iface))
        {
            received += q.ReceivedPackets;
            sent += q.SentPackets;
            foreach ((string reason, long count) in q.ReceiveDrops.Concat(q.SendDrops))
            {
                drops[reason] = drops.GetValueOrDefault(reason) + count;
            }
        }

        return (received, sent, drops);
    }

    /// <summary>Pings from A to <paramref name="target"/> until one answer comes back (the neighbours resolve meanwhile).</summary>
    public void WarmUp(IPAddress target)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (A.Exec("ping", "-c", "1", "-W", "1", target.ToString()).ExitCode != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{target} never answered a ping from A; counters: {Describe()}");
        }
    }

    public string Describe() => string.Join("; ", Router.Interfaces.Select(i =>
    {
        var (received, sent, drops) = Counters(i.Name);
        return $"{i.Name}: received {received}, sent {sent}, drops {string.Join(", ", drops.Select(d => $"{d.Key}={d.Value}"))}";
    }));

    /// <summary>
    /// Sends <paramref name="bytes"/> pseudo-random bytes over a TCP connection from A to B and returns the SHA-256
    /// of what was sent and of what arrived.
    /// </summary>
    public (byte[] Sent, byte[] Received) TransferAToB(bool ipv6, long bytes, int port = 5201) =>
        Transfer(A, B, ipv6 ? B6 : B4, bytes, port);

    /// <summary>The same from B to A.</summary>
    public (byte[] Sent, byte[] Received) TransferBToA(bool ipv6, long bytes, int port = 5202) =>
        Transfer(B, A, ipv6 ? A6 : A4, bytes, port);

    private (byte[] Sent, byte[] Received) Transfer(NetworkNamespace from, NetworkNamespace to, IPAddress server, long bytes, int port) =>
        InProcessRouter.Transfer(from, to, server, bytes, 1, port, Describe)[0];

    /// <summary>The AF_XDP meter's counters, summed per interface ("xa:routerhost.afxdp.tx.kicks").</summary>
    public static Dictionary<string, long> XdpCounters() => InProcessRouter.MeterCounters(AfXdpMetrics.MeterName);

    /// <summary>Whether <c>ip link show</c> in <paramref name="ns"/> reports an XDP program on <paramref name="device"/>.</summary>
    public static bool HasXdpProgram(NetworkNamespace ns, string device)
    {
        string output = ns.Ip("-d", "link", "show", "dev", device).EnsureSuccess().StdOut;
        return output.Contains("prog/xdp", StringComparison.Ordinal) || output.Contains(" xdp", StringComparison.Ordinal);
    }

    /// <summary>Stops the workers and releases the router (its devices stay; the namespaces too). Idempotent.</summary>
    public void StopRouter() => _router.StopRouter();

    public void Dispose() => _router.Dispose();

    private static void Host(NetworkNamespace ns, string gateway4, string gateway6)
    {
        ns.Ip("route", "add", "default", "via", gateway4).EnsureSuccess();
        ns.Ip("-6", "route", "add", "default", "via", gateway6).EnsureSuccess();
        ns.Exec("ethtool", "-K", "eth0", "tx", "off").EnsureSuccess();
    }

    private static T Own<T>(List<IDisposable> owned, T item)
        where T : IDisposable
    {
        owned.Add(item);
        return item;
    }
}
