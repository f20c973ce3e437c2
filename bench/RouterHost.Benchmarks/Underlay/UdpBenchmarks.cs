using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using RouterHost.Abstractions;
using RouterHost.Benchmarks.LinuxTun;
using RouterHost.Linux;
using RouterHost.Underlay;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Benchmarks.Underlay;

/// <summary>
/// The UDP underlay's send and receive paths on real sockets inside a network namespace made for the run
/// (<see cref="BenchmarkNetworkNamespace"/>). One operation moves 64 datagrams of 1400 bytes (a WireGuard data
/// message for a 1372-byte inner packet).
/// <para>
/// Send: to 10.98.x.2, out of one end of a veth pair (<c>bsink0</c>, <c>bsink1</c>) whose other end is up in the
/// same namespace without an address; a permanent neighbour entry gives 10.98.x.2 a MAC address that is not the other
/// end's, so each frame is dropped there at once as addressed to another host (the kernel has no <c>dummy</c> driver
/// here). The figure is the sender's cost (syscalls, UDP/IP output, the device's transmit) plus that drop.
/// <c>bsink0</c> keeps UDP segmentation offload (a GSO message crosses the pair whole, as to a NIC with USO);
/// <c>bsink1</c> has <c>tx-udp-segmentation</c> off, so the kernel cuts every GSO message into 64 packets in software
/// before the driver (a NIC without USO). Baseline: 64 <c>sendto</c> calls.
/// </para>
/// <para>
/// Receive: over the namespace's loopback to a socket of the namespace; each operation also sends the 64 datagrams
/// (one <c>sendmmsg</c>, or 2 GSO messages for the GRO row), so every row carries a sender's cost as well and the
/// ratios understate the receive-side gain. Baseline: 64 <c>recvfrom</c> calls.
/// </para>
/// Setup checks that each path does what its name says (packet counts on the devices, datagrams and coalesced reads
/// on the queues); every operation must allocate nothing.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public unsafe class UdpBenchmarks
{
    private const int Datagrams = 64;
    private const int Size = 1400;

    private readonly DropTally _drops = new();
    private readonly PacketBatch _batch = new(Datagrams);
    private readonly byte[][] _payloads = Enumerable.Range(0, Datagrams).Select(i => Payload(i)).ToArray();
    private readonly byte[] _receiveBuffer = GC.AllocateArray<byte>(65536, pinned: true);
    private BenchmarkNetworkNamespace? _namespace;
    private UdpSocket _plain = null!;
    private UdpSocket _gso = null!;
    private UdpSocket _receiver = null!;
    private UdpSocket _groReceiver = null!;
    private UdpBatchSender _plainSender = null!;
    private UdpBatchSender _gsoSender = null!;
    private UdpReceiveQueue _queue = null!;
    private UdpReceiveQueue _groQueue = null!;
    private UdpEndpoint _toUso;
    private UdpEndpoint _toSoftware;
    private byte[] _sockaddrUso = null!;
    private byte[] _sockaddrSoftware = null!;
    private long _failures;

    [GlobalSetup]
    public void Setup()
    {
        _namespace = BenchmarkNetworkNamespace.Create();
        try
        {
            string ns = _namespace.Name;
            AddSink(ns, "bsink0", "10.98.0.1/24", "10.98.0.2");
            AddSink(ns, "bsink1", "10.98.1.1/24", "10.98.1.2");
            DeviceFeatures.Set(ns, "bsink1", "tx-udp-segmentation", on: false);
            if (!DeviceFeatures.IsActive(ns, "bsink0", "tx-udp-segmentation") || DeviceFeatures.IsActive(ns, "bsink1", "tx-udp-segmentation"))
            {
                throw new InvalidOperationException("tx-udp-segmentation should be on for bsink0 and off for bsink1");
            }

            _plain = UdpSocket.Open(new UdpSocketOptions(IPAddress.Any) { NetworkNamespace = ns, Gso = false });
            _gso = UdpSocket.Open(new UdpSocketOptions(IPAddress.Any) { NetworkNamespace = ns, Gso = true });
            _receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { NetworkNamespace = ns, Gro = false });
            _groReceiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { NetworkNamespace = ns, Gro = true });
            _plainSender = new UdpBatchSender(_plain, Datagrams);
            _gsoSender = new UdpBatchSender(_gso, Datagrams);
            _queue = new UdpReceiveQueue(_receiver, 0, Datagrams, 64, 64);
            _groQueue = new UdpReceiveQueue(_groReceiver, 0, Datagrams, 64, 64);
            _toUso = UdpEndpoint.Create(IPAddress.Parse("10.98.0.2"), 9);
            _toSoftware = UdpEndpoint.Create(IPAddress.Parse("10.98.1.2"), 9);
            _sockaddrUso = Sockaddr(_toUso);
            _sockaddrSoftware = Sockaddr(_toSoftware);
            Verify(ns);
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
        Console.WriteLine($"// UdpBenchmarks: failures {_failures}; plain sender {_plainSender?.MessagesSent} messages, GSO sender {_gsoSender?.MessagesSent} messages ({_gsoSender?.GsoMessagesSent} GSO); GRO queue {_groQueue?.DatagramsReceived} reads, {_groQueue?.CoalescedDatagrams} coalesced");
        _queue?.Dispose();
        _groQueue?.Dispose();
        _plain?.Dispose();
        _gso?.Dispose();
        _receiver?.Dispose();
        _groReceiver?.Dispose();
        _namespace?.Dispose();
        _namespace = null;
        if (_failures != 0)
        {
            throw new InvalidOperationException($"UdpBenchmarks: {_failures} operations did not move exactly {Datagrams} datagrams");
        }
    }

    /// <summary>64 <c>sendto</c> calls: the baseline.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Send 64 x 1400 B")]
    public int SendTo() => SendToEach(_plain, _sockaddrUso);

    /// <summary>One <c>sendmmsg</c> of 64 messages.</summary>
    [Benchmark]
    [BenchmarkCategory("Send 64 x 1400 B")]
    public int Sendmmsg() => SendBatch(_plainSender, _toUso);

    /// <summary>One <c>sendmmsg</c> of 2 UDP_SEGMENT messages (46 + 18), handed whole to a device with USO.</summary>
    [Benchmark]
    [BenchmarkCategory("Send 64 x 1400 B")]
    public int SendmmsgGsoDeviceSegments() => SendBatch(_gsoSender, _toUso);

    /// <summary>64 <c>sendto</c> calls through the device without USO: the baseline of the software-segmentation rows.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Send 64 x 1400 B, no USO on the device")]
    public int SendToNoUso() => SendToEach(_plain, _sockaddrSoftware);

    /// <summary>One <c>sendmmsg</c> of 64 messages through the device without USO.</summary>
    [Benchmark]
    [BenchmarkCategory("Send 64 x 1400 B, no USO on the device")]
    public int SendmmsgNoUso() => SendBatch(_plainSender, _toSoftware);

    /// <summary>2 UDP_SEGMENT messages, cut into 64 packets by the kernel in software before the driver.</summary>
    [Benchmark]
    [BenchmarkCategory("Send 64 x 1400 B, no USO on the device")]
    public int SendmmsgGsoSoftwareSegments() => SendBatch(_gsoSender, _toSoftware);

    /// <summary>One <c>sendmmsg</c> over loopback, then 64 <c>recvfrom</c> calls: the baseline.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Receive 64 x 1400 B over loopback")]
    public int RecvFrom()
    {
        SendBatch(_plainSender, _receiver.LocalEndpoint);
        int received = 0;
        fixed (byte* buffer = _receiveBuffer)
        {
            byte* from = stackalloc byte[32];
            while (received < Datagrams)
            {
                uint fromLength = 32;
                nint n = recvfrom(_receiver.Handle, buffer, (nuint)_receiveBuffer.Length, MSG_DONTWAIT, from, &fromLength);
                if (n < 0)
                {
                    _failures++;
                    break;
                }

                received++;
            }
        }

        return received;
    }

    /// <summary>One <c>sendmmsg</c> over loopback, then <see cref="UdpReceiveQueue.Read"/> (one <c>recvmmsg</c>) with endpoints.</summary>
    [Benchmark]
    [BenchmarkCategory("Receive 64 x 1400 B over loopback")]
    public int Recvmmsg()
    {
        SendBatch(_plainSender, _receiver.LocalEndpoint);
        return Drain(_queue);
    }

    /// <summary>2 GSO messages over loopback to a GRO socket: 2 coalesced reads split into 64 packets.</summary>
    [Benchmark]
    [BenchmarkCategory("Receive 64 x 1400 B over loopback")]
    public int GsoToGro()
    {
        SendBatch(_gsoSender, _groReceiver.LocalEndpoint);
        return Drain(_groQueue);
    }

    private int SendToEach(UdpSocket socket, byte[] sockaddr)
    {
        int sent = 0;
        fixed (byte* address = sockaddr)
        {
            for (int i = 0; i < Datagrams; i++)
            {
                fixed (byte* payload = _payloads[i])
                {
                    if (sendto(socket.Handle, payload, Size, 0, address, (uint)sockaddr.Length) == Size)
                    {
                        sent++;
                    }
                }
            }
        }

        if (sent != Datagrams)
        {
            _failures++;
        }

        return sent;
    }

    private int SendBatch(UdpBatchSender sender, in UdpEndpoint destination)
    {
        for (int i = 0; i < Datagrams; i++)
        {
            sender.TryAdd(destination, _payloads[i]);
        }

        int sent = sender.Flush(_drops);
        if (sent != Datagrams || _drops.Total != 0)
        {
            _failures++;
            _drops.Clear();
        }

        return sent;
    }

    // Every datagram is in the socket once the send returned (loopback delivers in the sender's softirq), so Read
    // does not block; a missing one is a failure, not a hang: the queue is only read while the socket is readable.
    private int Drain(UdpReceiveQueue queue)
    {
        int packets = 0;
        while (packets < Datagrams && Readable(queue.Socket))
        {
            queue.Read(_batch);
            packets += _batch.Count;
        }

        if (packets != Datagrams)
        {
            _failures++;
        }

        return packets;
    }

    private static bool Readable(UdpSocket socket)
    {
        var fd = new pollfd { fd = socket.Handle.Fd, events = POLLIN };
        return poll(&fd, 1, 1000) > 0;
    }

    private void Verify(string ns)
    {
        (long, long) Before() => (TxPackets(ns, "bsink0"), TxPackets(ns, "bsink1"));
        var start = Before();
        SendTo();
        Sendmmsg();
        SendmmsgGsoDeviceSegments();
        SendToNoUso();
        SendmmsgNoUso();
        SendmmsgGsoSoftwareSegments();
        var end = Before();
        // bsink0: 64 + 64 single datagrams and 2 GSO skbs; bsink1: 3 x 64 packets (the GSO ones cut in software).
        if (end.Item1 - start.Item1 != (2 * Datagrams) + 2 || end.Item2 - start.Item2 != 3 * Datagrams || _gsoSender.GsoMessagesSent != 4)
        {
            throw new InvalidOperationException($"send paths: bsink0 took {end.Item1 - start.Item1} packets, bsink1 {end.Item2 - start.Item2}, GSO messages {_gsoSender.GsoMessagesSent}");
        }

        RecvFrom();
        Recvmmsg();
        GsoToGro();
        if (_failures != 0 || _groQueue.DatagramsReceived != 2 || _groQueue.CoalescedDatagrams != 2)
        {
            throw new InvalidOperationException($"receive paths: failures {_failures}, GRO reads {_groQueue.DatagramsReceived}, coalesced {_groQueue.CoalescedDatagrams}");
        }
    }

    private static void AddSink(string ns, string name, string address, string neighbour)
    {
        Ip("-n", ns, "link", "add", name, "type", "veth", "peer", "name", name + "p");
        Ip("-n", ns, "addr", "add", address, "dev", name);
        Ip("-n", ns, "link", "set", name, "up");
        Ip("-n", ns, "link", "set", name + "p", "up");
        Ip("-n", ns, "neigh", "add", neighbour, "lladdr", "02:00:00:00:00:02", "dev", name, "nud", "permanent");
    }

    private static long TxPackets(string ns, string device) => NetworkNamespaceThread.Run(ns, () =>
    {
        foreach (string line in File.ReadAllLines("/proc/thread-self/net/dev"))
        {
            string[] parts = line.Split([' ', ':'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length > 10 && parts[0] == device)
            {
                return long.Parse(parts[10], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"{device} is not in /proc/net/dev");
    });

    private static byte[] Sockaddr(in UdpEndpoint endpoint)
    {
        byte[] address = GC.AllocateArray<byte>(16, pinned: true);
        sockaddr_in sin = endpoint.ToSockaddrIn();
        System.Runtime.InteropServices.MemoryMarshal.Write(address, in sin);
        return address;
    }

    private static byte[] Payload(int index)
    {
        byte[] payload = GC.AllocateArray<byte>(Size, pinned: true);
        new Random(index).NextBytes(payload);
        return payload;
    }

    private static void Ip(params string[] args)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(startInfo) ?? throw new InvalidOperationException("could not start ip");
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Trim()}");
        }
    }
}
