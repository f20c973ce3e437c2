using System.Buffers.Binary;
using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Packets;
using RouterHost.Pipeline;
using RouterHost.Routing.Stage;

namespace RouterHost.Benchmarks.Routing;

/// <summary>
/// The routing stage's own answers, one batch of 64 packets from an interface at a time: echo requests to the
/// router's own address (answered), 1500-byte IPv4 packets with DF to a peer whose tunnel carries 1420
/// (fragmentation-needed, with the ICMP rate limit out of the way), and the same without DF (fragmented in two).
/// Reported per packet; must allocate nothing.
/// </summary>
[MemoryDiagnoser]
public class RoutingLocalAndMtuBenchmarks
{
    private const int BatchSize = 64;
    private const int Slot = 2048;
    private const int Headroom = 128;
    private readonly PacketBatch _batch = new(BatchSize);
    private RoutingStage _stage = null!;
    private IStageWorker _worker = null!;
    private byte[] _buffer = [];
    private byte[] _template = [];

    [Params("EchoReply", "FragmentationNeeded", "Fragment")]
    public string Case { get; set; } = "EchoReply";

    [GlobalSetup]
    public void Setup()
    {
        var ports = new PortRegistry();
        PortInfo lan0 = ports.AddInterface("lan0", [], "bench");
        PortInfo lan1 = ports.AddInterface("lan1", [], "bench");
        ports.AddPeer("wg", new PeerRegistration("far", [], [IPNetwork.Parse("10.9.0.0/16")], 1420));
        ports.SetInterfaceLink(lan0.Id, new InterfaceLink([new InterfaceAddress(IPAddress.Parse("10.0.0.1"), 24)], InterfaceAddressOwner.HostStack, 1500));
        ports.SetInterfaceLink(lan1.Id, new InterfaceLink([new InterfaceAddress(IPAddress.Parse("10.1.0.1"), 24)], InterfaceAddressOwner.Router, 1500));
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Routing:Settings:IcmpSource:IPv4"] = "10.255.0.1",
            ["Routing:Settings:IcmpErrors:PerSecond"] = "1000000",
            ["Routing:Settings:IcmpErrors:Burst"] = "1000000",
        }).Build().GetSection("Routing:Settings");
        _stage = (RoutingStage)new RoutingStagePlugin().Create(new StageContext("Routing", settings, NullLoggerFactory.Instance, ports, 0, 1) { Services = new StageServices() });
        _stage.Start(ports);
        _worker = _stage.CreateWorker(0);

        _template = Case == "EchoReply" ? Echo() : Udp1500(dontFragment: Case == "FragmentationNeeded");
        _buffer = GC.AllocateArray<byte>(BatchSize * Slot, pinned: true);
        for (int i = 0; i < BatchSize; i++)
        {
            _template.CopyTo(_buffer.AsSpan((i * Slot) + Headroom));
        }

        // Each case answers every packet of the batch with one packet of its own: a reply, an error, a second fragment.
        if (Batch() != BatchSize || Batch() != BatchSize)
        {
            throw new InvalidOperationException($"{Case}: {_batch.Emitted(PacketDirection.Outbound)!.Count} packets emitted of {BatchSize}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _worker.Dispose();
        _stage.Dispose();
    }

    /// <summary>Route one batch of 64 packets (the same bytes each time: fragmenting rewrites the header in place).</summary>
    [Benchmark(OperationsPerInvoke = BatchSize)]
    public int Batch()
    {
        PacketBatch batch = _batch;
        batch.Clear();
        batch.Direction = PacketDirection.Outbound;
        Memory<byte> buffer = _buffer;
        for (int i = 0; i < BatchSize; i++)
        {
            _template.AsSpan(0, 28).CopyTo(buffer.Span.Slice((i * Slot) + Headroom));
            ref Packet p = ref batch.Append(buffer.Slice(i * Slot, Slot), Headroom, _template.Length);
            p.Ingress = PortId.Interface(0);
        }

        _worker.Process(batch);
        return batch.Emitted(PacketDirection.Outbound)!.Count;
    }

    private static byte[] Echo()
    {
        byte[] p = Header(84, IpProtocol.Icmp, "10.1.0.1", dontFragment: false);
        p[20] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), InternetChecksum.Compute(p.AsSpan(20)));
        return p;
    }

    private static byte[] Udp1500(bool dontFragment)
    {
        byte[] p = Header(1500, IpProtocol.Udp, "10.9.0.5", dontFragment);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 5001);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 1480);
        return p;
    }

    private static byte[] Header(int length, byte protocol, string destination, bool dontFragment)
    {
        var p = new byte[length];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)length);
        p[6] = dontFragment ? (byte)0x40 : (byte)0;
        p[8] = 64;
        p[9] = protocol;
        IPAddress.Parse("10.0.0.7").GetAddressBytes().CopyTo(p, 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(p, 16);
        Ipv4Header.WriteChecksum(p);
        return p;
    }
}
