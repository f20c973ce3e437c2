using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace RouterHost.Benchmarks.AfXdp;

/// <summary>
/// Packets per second forwarded between two veths (<see cref="XdpBenchmarkTopology"/>): by RouterHost through two
/// AF_XDP interfaces and its Routing stage, against the kernel's own IPv4 forwarding between the same veths as the
/// baseline. One operation = <see cref="Packets"/> UDP datagrams of <see cref="Payload"/> bytes sent with
/// <c>sendmmsg</c> in the sender namespace and received with <c>recvmmsg</c> in the receiver namespace, never more
/// than <see cref="Burst"/> in flight, driven as <see cref="Traffic"/> says: <c>Stream</c>, a sliding window in chunks
/// of <see cref="Chunk"/> (the forwarder works while the generator sends: the forwarding rate), or <c>Burst</c>,
/// closed bursts of <see cref="Burst"/> (send all, then receive all: each burst also pays the forwarder's wake-up and
/// the receiver's). 18-byte payloads make minimum-size (64-byte) Ethernet frames, 1472-byte ones full 1514-byte
/// frames. The mean is per packet (OperationsPerInvoke): pps = 1 / mean. Cleanup fails the run if a datagram was lost
/// or damaged, or if RouterHost counted a drop.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByParams)]
public class XdpForwardingBenchmarks
{
    public const int Burst = 256;

    /// <summary>Datagrams sent with one <c>sendmmsg</c> in <c>Stream</c> traffic.</summary>
    public const int Chunk = 64;

    /// <summary>Datagrams per operation (16 bursts).</summary>
    public const int Packets = Burst * 16;

    private UdpBurst? _burst;
    private Dictionary<string, long> _dropsBefore = [];

    [Params(18, 1472)]
    public int Payload { get; set; }

    /// <summary><c>Stream</c> (sliding window) or <c>Burst</c> (closed bursts).</summary>
    [Params("Stream", "Burst")]
    public string Traffic { get; set; } = "Stream";

    [GlobalSetup(Target = nameof(KernelForwarding))]
    public void SetupKernel()
    {
        XdpBenchmarkTopology.Shared.UseKernelForwarding();
        Start();
    }

    [GlobalSetup(Target = nameof(RouterHostAfXdp))]
    public void SetupRouterHost()
    {
        XdpBenchmarkTopology.Shared.UseRouterHost();
        Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        XdpBenchmarkTopology topology = XdpBenchmarkTopology.Shared;
        Dictionary<string, long> drops = topology.RouterDrops()
            .Select(d => (d.Key, Count: d.Value - _dropsBefore.GetValueOrDefault(d.Key)))
            .Where(d => d.Count != 0)
            .ToDictionary(d => d.Key, d => d.Count);
        string report = $"lost {_burst?.Lost}, damaged {_burst?.Damaged}, RouterHost drops: {(drops.Count == 0 ? "none" : string.Join(", ", drops.Select(d => $"{d.Key}={d.Value}")))}";
        Console.WriteLine($"// XdpForwardingBenchmarks (payload {Payload}, {Traffic}): {report}");
        bool bad = _burst is { Lost: > 0 } or { Damaged: > 0 } || drops.Count > 0;
        _burst?.Dispose();
        _burst = null;
        topology.StopRouter();
        if (bad)
        {
            throw new InvalidOperationException($"XdpForwardingBenchmarks measured something else than intended: {report}");
        }
    }

    /// <summary>The kernel forwards (ip_forward=1 in the middle namespace): the baseline.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Packets)]
    public long KernelForwarding() => Move();

    /// <summary>RouterHost forwards: XDP redirect to an AF_XDP socket on xa, Routing stage, AF_XDP transmit on xb.</summary>
    [Benchmark(OperationsPerInvoke = Packets)]
    public long RouterHostAfXdp() => Move();

    private long Move()
    {
        UdpBurst burst = _burst!;
        if (Traffic == "Stream")
        {
            return burst.Stream(Packets, Chunk);
        }

        long received = 0;
        for (int i = 0; i < Packets / Burst; i++)
        {
            received += burst.SendAndReceive();
        }

        return received;
    }

    private void Start()
    {
        XdpBenchmarkTopology topology = XdpBenchmarkTopology.Shared;
        _burst = new UdpBurst(topology.Sender, topology.Receiver, XdpBenchmarkTopology.Destination, Payload, Burst);

        // Warm-up outside the measurement: ARP on both sides, RouterHost's neighbour resolution (whose first packets
        // it drops while resolving, by design), JIT.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (_burst.SendAndReceive() != Burst || _burst.SendAndReceive() != Burst)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException("the bursts never got through the forwarder");
            }
        }

        _burst.ResetCounters();
        _dropsBefore = topology.RouterDrops();
    }
}
