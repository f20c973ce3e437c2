using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Plugins.LinuxTun;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Benchmarks.LinuxTun;

/// <summary>
/// The LinuxTun backend's real read and write paths on real TUN devices, inside a network namespace made for the
/// run (<see cref="BenchmarkNetworkNamespace"/>). Three devices are created through <see cref="TunContainer"/>: a
/// plain TUN (offloads disabled), one with offloads but GRO off, and one with every offload (TSO, USO, GRO).
/// <para>
/// Write: one operation = 64 MSS-sized (1448 B) segments of one IPv4 TCP flow, written with
/// <see cref="TunQueue.Write"/> and then <see cref="TunQueue.Flush"/>. They go to 198.18.0.1, which is not local
/// in the namespace; forwarding is off there, so the kernel drops them at the routing decision (no socket lookup,
/// no ICMP) — the kernel does as little as it can with a packet it has accepted.
/// </para>
/// <para>
/// Read: one operation = a UDP socket inside the namespace sending 64 datagrams of 1400 B to the peer address of
/// a device (the kernel routes them into the TUN), then <see cref="TunQueue.Read"/> draining them into a batch of
/// 64. Either 64 <c>sendto</c> calls, or 2 sends of 32 segments with UDP_SEGMENT (UDP GSO), which the kernel
/// segments for a plain TUN and hands as 2 superpackets to a device with USO. Each send shape has the plain TUN
/// as its baseline.
/// </para>
/// Every operation must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public partial class TunBenchmarks
{
    private const int BatchSize = 64;
    private const int Mss = 1448;
    private const int DatagramSize = 1400;
    private const int GsoSends = 2;
    private const int SegmentsPerGsoSend = BatchSize / GsoSends;
    private const int SOL_UDP = 17;
    private const int UDP_SEGMENT = 103;

    private static readonly IPAddress s_dropDestination = IPAddress.Parse("198.18.0.1");

    private readonly DropTally _flushDrops = new();
    private readonly PacketBatch _batch = new(BatchSize);
    private readonly byte[] _datagram = new byte[DatagramSize];
    private readonly byte[] _gsoPayload = new byte[DatagramSize * SegmentsPerGsoSend];
    private BenchmarkNetworkNamespace? _namespace;
    private BenchmarkDevice _plain = null!;
    private BenchmarkDevice _noGro = null!;
    private BenchmarkDevice _offloads = null!;
    private long _refusedWrites;
    private long _readDrops;
    private long _extraSegments;

    [GlobalSetup]
    public void Setup()
    {
        _namespace = BenchmarkNetworkNamespace.Create();
        try
        {
            _plain = BenchmarkDevice.Create(_namespace.Name, "rhb0", 0, """{ "Enabled": "false" }""");
            _noGro = BenchmarkDevice.Create(_namespace.Name, "rhb1", 1, """{ "Gro": "false" }""");
            _offloads = BenchmarkDevice.Create(_namespace.Name, "rhb2", 2, "{}");
            new Random(3).NextBytes(_datagram);
            new Random(4).NextBytes(_gsoPayload);
            Verify();
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        string counters = $"refused writes {_refusedWrites}, read drops {_readDrops}, unexpected extra segments {_extraSegments}";
        Console.WriteLine($"// TunBenchmarks: {counters}; superpackets written by rhb2 {_offloads?.Queue.SuperpacketsWritten} ({_offloads?.Queue.SegmentsWritten} segments), read by rhb2 {_offloads?.Queue.SuperpacketsRead}");
        _plain?.Dispose();
        _noGro?.Dispose();
        _offloads?.Dispose();
        _namespace?.Dispose();
        _namespace = null;
        if (_refusedWrites != 0 || _readDrops != 0 || _extraSegments != 0)
        {
            throw new InvalidOperationException($"TunBenchmarks measured something else than intended: {counters}");
        }
    }

    /// <summary>64 segments written one <c>write</c> each (virtio header in the headroom, no GSO): the baseline.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Write 64 TCP segments")]
    public int WriteGroOff() => WriteBatch(_noGro);

    /// <summary>64 segments coalesced into 2 superpackets (45 + 19 segments), one <c>writev</c> each.</summary>
    [Benchmark]
    [BenchmarkCategory("Write 64 TCP segments")]
    public int WriteGroOn() => WriteBatch(_offloads);

    /// <summary>64 segments written one <c>write</c> each to a plain TUN (no virtio header).</summary>
    [Benchmark]
    [BenchmarkCategory("Write 64 TCP segments")]
    public int WriteOffloadsDisabled() => WriteBatch(_plain);

    /// <summary>64 <c>sendto</c> of 1400 B, read as 64 packets from a plain TUN: the baseline.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Read 64 datagrams: 64 sendto")]
    public int ReadSendToOffloadsDisabled() => SendAndRead(_plain, gso: false);

    /// <summary>64 <c>sendto</c> of 1400 B, read as 64 packets with a virtio header each; the UDP checksum is finished here.</summary>
    [Benchmark]
    [BenchmarkCategory("Read 64 datagrams: 64 sendto")]
    public int ReadSendToOffloads() => SendAndRead(_offloads, gso: false);

    /// <summary>2 UDP GSO sends of 32 × 1400 B, segmented by the kernel and read as 64 packets from a plain TUN: the baseline.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Read 64 datagrams: 2 UDP GSO sends")]
    public int ReadUdpGsoOffloadsDisabled() => SendAndRead(_plain, gso: true);

    /// <summary>2 UDP GSO sends of 32 × 1400 B, read as 2 USO superpackets.</summary>
    [Benchmark]
    [BenchmarkCategory("Read 64 datagrams: 2 UDP GSO sends")]
    public int ReadUdpGsoUso() => SendAndRead(_offloads, gso: true);

    private int WriteBatch(BenchmarkDevice device)
    {
        Packet[] segments = device.Segments;
        TunQueue queue = device.Queue;
        for (int i = 0; i < segments.Length; i++)
        {
            if (!queue.Write(segments[i]).IsNone)
            {
                _refusedWrites++;
            }
        }

        queue.Flush(_flushDrops);
        if (_flushDrops.Total != 0)
        {
            _refusedWrites += _flushDrops.Total;
            _flushDrops.Clear();
        }

        return segments.Length;
    }

    private int SendAndRead(BenchmarkDevice device, bool gso)
    {
        if (gso)
        {
            for (int i = 0; i < GsoSends; i++)
            {
                device.GsoSender.SendTo(_gsoPayload, SocketFlags.None, device.PeerAddress);
            }
        }
        else
        {
            for (int i = 0; i < BatchSize; i++)
            {
                device.Sender.SendTo(_datagram, SocketFlags.None, device.PeerAddress);
            }
        }

        return Drain(device);
    }

    // The sends above have put every packet in the device's queue before returning, so the first Read does not
    // block. Should a packet still be on its way, wait for it (bounded) rather than block forever in Read.
    private int Drain(BenchmarkDevice device)
    {
        int segments = 0;
        while (true)
        {
            device.Queue.Read(_batch);
            _readDrops += _batch.ReadDrops.Total;
            for (int i = 0; i < _batch.Count; i++)
            {
                ref Packet packet = ref _batch[i];
                segments += packet.Gso.IsSuperpacket
                    ? (packet.Length - packet.Gso.HeaderLength + packet.Gso.SegmentSize - 1) / packet.Gso.SegmentSize
                    : 1;
            }

            if (segments >= BatchSize)
            {
                _extraSegments += segments - BatchSize;
                return segments;
            }

            if (!WaitReadable(device.Queue, timeoutMilliseconds: 1000))
            {
                throw new InvalidOperationException($"only {segments} of {BatchSize} packets reached {device.Container.DeviceName}");
            }
        }
    }

    private static unsafe bool WaitReadable(TunQueue queue, int timeoutMilliseconds)
    {
        var fd = new pollfd { fd = ((SafeFileDescriptor)queue.Handle).Fd, events = POLLIN };
        return poll(&fd, 1, timeoutMilliseconds) == 1;
    }

    // Before measuring: every path does what its name says (nothing refused, GRO really coalesces, USO really
    // arrives as superpackets, the kernel really receives the written packets).
    private void Verify()
    {
        long before = _namespace!.SnmpCounter("Ip", "InAddrErrors");
        foreach (BenchmarkDevice device in new[] { _plain, _noGro, _offloads })
        {
            WriteBatch(device);
        }

        long dropped = _namespace.SnmpCounter("Ip", "InAddrErrors") - before;
        if (_refusedWrites != 0 || dropped < BatchSize * 2 + 2)
        {
            throw new InvalidOperationException($"write check: {_refusedWrites} writes refused, {dropped} packets dropped by the namespace's routing (Ip InAddrErrors)");
        }

        if (_offloads.Queue.SuperpacketsWritten != 2 || _offloads.Queue.SegmentsWritten != BatchSize || _noGro.Queue.SuperpacketsWritten != 0)
        {
            throw new InvalidOperationException($"GRO check: {_offloads.Queue.SuperpacketsWritten} superpackets carrying {_offloads.Queue.SegmentsWritten} segments (expected 2 carrying {BatchSize})");
        }

        if (!_offloads.Container.Offloads.Uso)
        {
            throw new InvalidOperationException($"USO was not negotiated on {_offloads.Container.DeviceName} ({_offloads.Container.Offloads})");
        }

        ReadSendToOffloadsDisabled();
        ReadSendToOffloads();
        ReadUdpGsoOffloadsDisabled();
        long superpackets = _offloads.Queue.SuperpacketsRead;
        ReadUdpGsoUso();
        if (_offloads.Queue.SuperpacketsRead - superpackets != GsoSends || _batch.Count != GsoSends)
        {
            throw new InvalidOperationException($"USO check: {_offloads.Queue.SuperpacketsRead - superpackets} superpackets read in a batch of {_batch.Count} (expected {GsoSends})");
        }
    }
}
