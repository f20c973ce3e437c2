using System.Diagnostics.Metrics;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>
/// The TUN backend's own counters on the <c>RouterHost.LinuxTun</c> meter: superpackets read (TSO/USO from the
/// kernel) and written (GRO-coalesced or forwarded), and the packets inside those written. Read from the
/// queues' single-writer fields at collection time.
/// </summary>
internal static class TunMetrics
{
    public const string MeterName = "RouterHost.LinuxTun";

    private static readonly Meter s_meter = new(MeterName, "1.0");
    private static readonly List<(string Interface, TunQueue Queue)> s_queues = [];
    private static readonly Lock s_lock = new();

    static TunMetrics()
    {
        s_meter.CreateObservableCounter("routerhost.tun.superpackets.read", () => Measure(q => q.SuperpacketsRead), "{packet}", "TSO/USO superpackets read from the device");
        s_meter.CreateObservableCounter("routerhost.tun.superpackets.written", () => Measure(q => q.SuperpacketsWritten), "{packet}", "Superpackets written to the device (one writev each)");
        s_meter.CreateObservableCounter("routerhost.tun.segments.written", () => Measure(q => q.SegmentsWritten), "{packet}", "Packets carried by the superpackets written");
    }

    public static void Add(string iface, TunQueue queue)
    {
        lock (s_lock)
        {
            s_queues.Add((iface, queue));
        }
    }

    public static void Remove(TunQueue queue)
    {
        lock (s_lock)
        {
            s_queues.RemoveAll(e => ReferenceEquals(e.Queue, queue));
        }
    }

    private static List<Measurement<long>> Measure(Func<TunQueue, long> select)
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
}
