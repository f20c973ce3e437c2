using System.Diagnostics.Metrics;
using RouterHost.Plugins.AfXdp.Internal;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp;

/// <summary>
/// The AF_XDP backend's counters on the <c>RouterHost.AfXdp</c> meter, per interface and queue: the kernel's
/// XDP_STATISTICS (read with getsockopt at collection time), the transmit paths' kicks and the receive side's refused
/// descriptors; per interface, the neighbour resolver's resolutions and failures. The kernel's drops also reach the
/// router's own drop counters by reason (<c>afxdp.kernel.*</c>), from each queue's reader about once a second.
/// </summary>
internal static class AfXdpMetrics
{
    public const string MeterName = "RouterHost.AfXdp";

    private static readonly Meter s_meter = new(MeterName, "1.0");
    private static readonly List<(string Interface, AfXdpQueue Queue)> s_queues = [];
    private static readonly List<(string Interface, NeighbourResolver Resolver)> s_resolvers = [];
    private static readonly Lock s_lock = new();

    static AfXdpMetrics()
    {
        Kernel("routerhost.afxdp.kernel.rx_dropped", s => s.rx_dropped, "Frames the kernel dropped for the socket (no fill ring entry, too large for a frame)");
        Kernel("routerhost.afxdp.kernel.rx_invalid_descs", s => s.rx_invalid_descs, "Fill ring entries the kernel refused");
        Kernel("routerhost.afxdp.kernel.tx_invalid_descs", s => s.tx_invalid_descs, "TX descriptors the kernel refused");
        Kernel("routerhost.afxdp.kernel.rx_ring_full", s => s.rx_ring_full, "Frames dropped because the RX ring was full");
        Kernel("routerhost.afxdp.kernel.rx_fill_ring_empty_descs", s => s.rx_fill_ring_empty_descs, "Times the kernel found the fill ring empty");
        Kernel("routerhost.afxdp.kernel.tx_ring_empty_descs", s => s.tx_ring_empty_descs, "Times the kernel found the TX ring empty");
        s_meter.CreateObservableCounter("routerhost.afxdp.tx.kicks", () => MeasureQueues(q => q.Transmitter.WritePath.Kicks + q.Transmitter.SelfPath.Kicks), "{call}", "sendto calls that woke the kernel to transmit");
        s_meter.CreateObservableCounter("routerhost.afxdp.tx.kick_errors", () => MeasureQueues(q => q.Transmitter.WritePath.KickErrors + q.Transmitter.SelfPath.KickErrors), "{call}", "Kicks that failed (ENOBUFS, ENETDOWN, ...)");
        s_meter.CreateObservableCounter("routerhost.afxdp.tx.completions", () => MeasureQueues(q => q.Transmitter.Completed), "{frame}", "Transmit frames the kernel completed");
        s_meter.CreateObservableCounter("routerhost.afxdp.rx.bad_descriptors", () => MeasureQueues(q => q.Receiver.BadDescriptors), "{descriptor}", "RX descriptors refused (bad address, duplicate, bad length)");
        s_meter.CreateObservableCounter("routerhost.afxdp.neighbour.resolutions", () => MeasureResolvers(r => r.Resolutions), "{neighbour}", "Neighbours resolved");
        s_meter.CreateObservableCounter("routerhost.afxdp.neighbour.failures", () => MeasureResolvers(r => r.Failures), "{neighbour}", "Neighbours that did not resolve in time");
    }

    public static void Add(string iface, AfXdpQueue queue)
    {
        lock (s_lock)
        {
            s_queues.Add((iface, queue));
        }
    }

    public static void Add(string iface, NeighbourResolver resolver)
    {
        lock (s_lock)
        {
            s_resolvers.Add((iface, resolver));
        }
    }

    public static void Remove(AfXdpQueue queue)
    {
        lock (s_lock)
        {
            s_queues.RemoveAll(e => ReferenceEquals(e.Queue, queue));
        }
    }

    public static void Remove(NeighbourResolver resolver)
    {
        lock (s_lock)
        {
            s_resolvers.RemoveAll(e => ReferenceEquals(e.Resolver, resolver));
        }
    }

    private static void Kernel(string name, Func<xdp_statistics, ulong> select, string description) =>
        s_meter.CreateObservableCounter(name, () => MeasureQueues(q => q.TryGetStatistics(out xdp_statistics s) ? (long)select(s) : 0), "{frame}", description);

    private static List<Measurement<long>> MeasureQueues(Func<AfXdpQueue, long> select)
    {
        lock (s_lock)
        {
            var result = new List<Measurement<long>>(s_queues.Count);
            foreach (var (iface, queue) in s_queues)
            {
                result.Add(new Measurement<long>(select(queue), new("interface", iface), new("queue", queue.Index)));
            }

            return result;
        }
    }

    private static List<Measurement<long>> MeasureResolvers(Func<NeighbourResolver, long> select)
    {
        lock (s_lock)
        {
            var result = new List<Measurement<long>>(s_resolvers.Count);
            foreach (var (iface, resolver) in s_resolvers)
            {
                result.Add(new Measurement<long>(select(resolver), new KeyValuePair<string, object?>("interface", iface)));
            }

            return result;
        }
    }
}
