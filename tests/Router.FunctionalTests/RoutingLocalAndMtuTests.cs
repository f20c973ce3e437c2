using System.Buffers.Binary;
using System.Net;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Packets;
using RouterHost.Packets.Tests;
using RouterHost.Pipeline;
using RouterHost.Routing.Stage;

namespace RouterHost.FunctionalTests;

/// <summary>
/// What the routing stage does with the ports' addresses and MTUs: connected routes, the router's own addresses
/// (echo answered, anything else dropped), and packets larger than their egress's MTU (fragmentation-needed /
/// packet-too-big, IPv4 fragmentation without DF, superpackets judged by their segments).
/// </summary>
public sealed class RoutingLocalAndMtuTests
{
    private const string IcmpSource = """ "IcmpSource": { "IPv4": "10.255.0.1", "IPv6": "fd00::ff" } """;

    /// <summary>lan0: the host's 10.0.0.1/24 + fd00::1/64 behind a TUN, MTU 1500; lan1: the router's own 10.1.0.1/24 + fd01::1/64 (AF_XDP), MTU 1500; lan2: 10.2.0.1/24, MTU 1280.</summary>
    private static void Links(PortRegistry ports)
    {
        ports.SetInterfaceLink(StageHarness.Lan0, new InterfaceLink([Address("10.0.0.1/24"), Address("fd00::1/64")], InterfaceAddressOwner.HostStack, 1500));
        ports.SetInterfaceLink(StageHarness.Lan1, new InterfaceLink([Address("10.1.0.1/24"), Address("fd01::1/64")], InterfaceAddressOwner.Router, 1500));
        ports.SetInterfaceLink(StageHarness.Lan2, new InterfaceLink([Address("10.2.0.1/24")], InterfaceAddressOwner.HostStack, 1280));
    }

    private static InterfaceAddress Address(string text)
    {
        string[] parts = text.Split('/');
        return new InterfaceAddress(IPAddress.Parse(parts[0]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static StageHarness Harness(string settings = "{ " + IcmpSource + " }", int aliceMtu = 1420) => new(settings, links: Links, aliceMtu: aliceMtu);

    private static byte[] Tcp(string destination, string? source = null, int payload = 20, bool dontFragment = true)
    {
        bool v6 = destination.Contains(':', StringComparison.Ordinal);
        return TestPackets.Tcp(new TestPackets.TcpSpec
        {
            IPv6 = v6,
            Destination = IPAddress.Parse(destination).GetAddressBytes(),
            Source = IPAddress.Parse(source ?? (v6 ? "fd00::7" : "10.0.0.7")).GetAddressBytes(),
            Payload = TestPackets.Pattern(payload),
            DontFragment = dontFragment,
        });
    }

    private static byte[] Ping(string destination, string source, int payload = 56)
    {
        bool v6 = destination.Contains(':', StringComparison.Ordinal);
        byte[] packet = TestPackets.Icmp(v6, v6 ? (byte)128 : (byte)8, 0, TestPackets.Pattern(payload));
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, v6 ? 8 : 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, v6 ? 24 : 16);
        if (!v6)
        {
            Ipv4Header.WriteChecksum(packet);
        }

        TestPackets.FixL4Checksum(packet, v6 ? 40 : 20, v6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp, 2);
        return packet;
    }

    [Theory]
    [InlineData("10.1.0.9", 1)]
    [InlineData("fd01::9", 1)]
    [InlineData("10.2.0.9", 2)]
    [InlineData("10.0.0.1", 0)]
    public void Interface_addresses_are_connected_routes_without_any_route_configured(string destination, int egress)
    {
        using StageHarness h = Harness();
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp(destination, source: destination.Contains(':', StringComparison.Ordinal) ? "fd00::7" : "10.0.0.7"));

        h.RoutingWorker.Process(batch);

        Assert.Equal(PacketVerdict.Forward, batch[0].Verdict);
        Assert.Equal(PortId.Interface(egress), batch[0].Egress);
        Assert.Equal(0, batch[0].NextHop);
    }

    [Fact]
    public void With_connected_routes_off_the_interfaces_prefixes_have_no_route()
    {
        using StageHarness h = Harness("{ \"ConnectedRoutes\": false, " + IcmpSource + " }");
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.1.0.9"), Tcp("10.2.0.9"));

        h.RoutingWorker.Process(batch);

        Assert.All(batch.AsSpan().ToArray(), p => Assert.Equal(RoutingDropReasons.NoRoute, p.DropReason));
    }

    [Fact]
    public void A_configured_route_to_the_same_prefix_wins_over_the_connected_one()
    {
        using StageHarness h = Harness("{ \"Routes\": [ { \"Destination\": \"10.1.0.0/24\", \"Interface\": \"lan2\" } ], " + IcmpSource + " }");
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.1.0.9"));

        h.RoutingWorker.Process(batch);

        Assert.Equal(StageHarness.Lan2, batch[0].Egress);
    }

    [Theory]
    [InlineData("10.1.0.1", "10.0.0.7")]
    [InlineData("fd01::1", "fd00::7")]
    [InlineData("10.255.0.1", "10.0.0.7")]
    [InlineData("fd00::ff", "fd00::7")]
    public void An_echo_request_to_an_address_of_the_router_is_answered_back_through_its_ingress(string routerAddress, string sender)
    {
        using StageHarness h = Harness();
        byte[] request = Ping(routerAddress, sender);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, request);
        batch[0].IngressQueue = 3;

        h.RoutingWorker.Process(batch);

        Assert.Equal(PacketVerdict.Consumed, batch[0].Verdict);
        PacketBatch emitted = batch.Emitted(PacketDirection.Outbound)!;
        Assert.Equal(1, emitted.Count);
        Packet reply = emitted[0];
        Assert.Equal(StageHarness.Lan0, reply.Egress);
        Assert.Equal(PortId.Local, reply.Ingress);
        Assert.Equal(3, reply.IngressQueue);
        bool v6 = routerAddress.Contains(':', StringComparison.Ordinal);
        byte[] bytes = reply.Data.ToArray();
        Assert.Equal(v6 ? 129 : 0, bytes[v6 ? 40 : 20]);
        Assert.Equal(IPAddress.Parse(routerAddress), new IPAddress(bytes.AsSpan(v6 ? 8 : 12, v6 ? 16 : 4)));
        Assert.Equal(IPAddress.Parse(sender), new IPAddress(bytes.AsSpan(v6 ? 24 : 16, v6 ? 16 : 4)));
        Assert.True(TestPackets.ChecksumsValid(bytes));
        Assert.Equal(1, h.Routing.GetCounters().EchoRepliesSent);
    }

    [Fact]
    public void An_echo_request_from_a_peer_is_answered_to_the_peer()
    {
        using StageHarness h = Harness();
        PacketBatch batch = StageHarness.Batch(h.Alice, Ping("10.1.0.1", "10.9.0.5"));
        batch.Direction = PacketDirection.Inbound;

        h.RoutingWorker.Process(batch);

        Assert.Equal(PacketVerdict.Consumed, batch[0].Verdict);
        Assert.Equal(h.Alice, batch.Emitted(PacketDirection.Outbound)![0].Egress);
    }

    [Theory]
    [InlineData("10.1.0.1")]
    [InlineData("fd01::1")]
    [InlineData("10.255.0.1")]
    public void Other_packets_to_the_router_itself_are_dropped_as_addressed_to_it_not_forwarded_and_not_unrouted(string routerAddress)
    {
        using StageHarness h = Harness();
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp(routerAddress));

        h.RoutingWorker.Process(batch);

        Assert.Equal(RoutingDropReasons.AddressedToRouter, batch[0].DropReason);
        Assert.Equal(0, batch.Emitted(PacketDirection.Outbound)!.Count);
    }

    [Fact]
    public void An_address_the_host_behind_a_TUN_owns_is_forwarded_to_it_not_answered()
    {
        using StageHarness h = Harness();
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan1, Ping("10.0.0.1", "10.1.0.7"));

        h.RoutingWorker.Process(batch);

        Assert.Equal(PacketVerdict.Forward, batch[0].Verdict);
        Assert.Equal(StageHarness.Lan0, batch[0].Egress);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_packet_with_DF_over_the_tunnel_MTU_draws_fragmentation_needed_with_the_tunnel_MTU(bool ipv6)
    {
        using StageHarness h = Harness();
        byte[] original = Tcp(ipv6 ? "fd09::5" : "10.9.0.5", payload: ipv6 ? 1440 : 1460);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, original);

        h.RoutingWorker.Process(batch);

        Assert.Equal(RoutingDropReasons.TooBig, batch[0].DropReason);
        Packet reply = batch.Emitted(PacketDirection.Outbound)![0];
        Assert.Equal(StageHarness.Lan0, reply.Egress);
        byte[] bytes = reply.Data.ToArray();
        if (ipv6)
        {
            Assert.Equal(2, bytes[40]);
            Assert.Equal(0, bytes[41]);
            Assert.Equal(1420u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(44)));
            Assert.Equal(original.AsSpan(0, 40).ToArray(), bytes.AsSpan(48, 40).ToArray());
        }
        else
        {
            Assert.Equal(3, bytes[20]);
            Assert.Equal(4, bytes[21]);
            Assert.Equal(1420, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(26)));
            Assert.Equal(original.AsSpan(0, 20).ToArray(), bytes.AsSpan(28, 20).ToArray());
            Assert.Equal(new byte[] { 10, 255, 0, 1 }, bytes.AsSpan(12, 4).ToArray());
        }

        Assert.Equal(1, h.Routing.GetCounters().TooBigSent);
    }

    [Fact]
    public void A_packet_that_fits_the_tunnel_MTU_exactly_passes()
    {
        using StageHarness h = Harness();
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.9.0.5", payload: 1380));

        h.RoutingWorker.Process(batch);

        Assert.Equal(1420, batch[0].Length);
        Assert.Equal(h.Alice, batch[0].Egress);
    }

    [Fact]
    public void An_interface_s_own_MTU_limits_packets_routed_to_it()
    {
        using StageHarness h = Harness();
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.2.0.9", payload: 1300));

        h.RoutingWorker.Process(batch);

        Assert.Equal(RoutingDropReasons.TooBig, batch[0].DropReason);
        Assert.Equal(1280, BinaryPrimitives.ReadUInt16BigEndian(batch.Emitted(PacketDirection.Outbound)![0].Data[26..]));
    }

    [Fact]
    public void Without_DF_an_IPv4_packet_is_fragmented_to_the_MTU_and_its_fragments_follow_it_to_the_egress()
    {
        using StageHarness h = Harness();
        byte[] original = Tcp("10.9.0.5", payload: 1460, dontFragment: false);
        byte[] payload = original[40..];
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, original);

        h.RoutingWorker.Process(batch);

        Assert.Equal(PacketVerdict.Forward, batch[0].Verdict);
        Assert.Equal(1420, batch[0].Length);
        PacketBatch emitted = batch.Emitted(PacketDirection.Outbound)!;
        Assert.Equal(1, emitted.Count);
        Packet second = emitted[0];
        Assert.Equal(h.Alice, second.Egress);
        Assert.Equal(StageHarness.Lan0, second.Ingress);
        Assert.Equal(1500 - 1420 + 20, second.Length);
        byte[] first = batch[0].Data.ToArray();
        byte[] rest = second.Data.ToArray();
        Assert.Equal(63, first[8]); // the TTL was decremented before fragmenting
        Assert.Equal(63, rest[8]);
        Assert.Equal(DropReason.None, PacketParser.Parse(first, out _));
        Assert.Equal(DropReason.None, PacketParser.Parse(rest, out _));
        Assert.Equal(payload, first[40..].Concat(rest[20..]).ToArray());
        RoutingCounters c = h.Routing.GetCounters();
        Assert.Equal(1, c.PacketsFragmented);
        Assert.Equal(2, c.FragmentsMade);
    }

    [Fact]
    public void With_IPv4_fragmentation_off_a_packet_without_DF_is_dropped_with_fragmentation_needed()
    {
        using StageHarness h = Harness("{ \"FragmentIPv4\": false, " + IcmpSource + " }");
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.9.0.5", payload: 1460, dontFragment: false));

        h.RoutingWorker.Process(batch);

        Assert.Equal(RoutingDropReasons.TooBigNotFragmented, batch[0].DropReason);
        Assert.Equal(4, batch.Emitted(PacketDirection.Outbound)![0].Data[21]);
    }

    [Theory]
    [InlineData(1380, true)]
    [InlineData(1381, false)]
    public void A_superpacket_is_judged_by_its_segments_not_its_total_length(int segmentSize, bool passes)
    {
        using StageHarness h = Harness();
        byte[] superpacket = Tcp("10.9.0.5", payload: 20000);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, superpacket);
        batch[0].Gso = new GsoInfo { Type = GsoType.TcpV4, SegmentSize = (ushort)segmentSize, HeaderLength = 40 };

        h.RoutingWorker.Process(batch);

        Assert.Equal(passes, batch[0].Verdict == PacketVerdict.Forward);
        Assert.Equal(passes ? DropReason.None : RoutingDropReasons.TooBig, batch[0].DropReason);
    }

    [Fact]
    public void Without_an_address_of_its_own_the_router_sends_packet_too_big_from_the_original_destination()
    {
        using var h = new StageHarness("{ }", aliceMtu: 1420);
        byte[] original = Tcp("10.9.0.5", payload: 1460);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, original);

        h.RoutingWorker.Process(batch);

        Packet reply = batch.Emitted(PacketDirection.Outbound)![0];
        Assert.Equal(original.AsSpan(16, 4).ToArray(), reply.Data.Slice(12, 4).ToArray());
    }

    [Fact]
    public void MTU_mismatches_name_the_interface_and_the_tunnel()
    {
        using StageHarness h = Harness();

        List<MtuMismatch> found = MtuMismatch.Find(h.Ports.Ports);

        Assert.Equal(
            [new MtuMismatch("lan0", 1500, "tunnel", 1420), new MtuMismatch("lan1", 1500, "tunnel", 1420)],
            found);
    }
    [Theory]
    [InlineData("echo")]
    [InlineData("too big")]
    [InlineData("fragment")]
    public void Answering_refusing_and_fragmenting_allocate_nothing_once_warm(string kind)
    {
        using StageHarness h = Harness("{ \"IcmpErrors\": { \"PerSecond\": 1000000, \"Burst\": 1000000 }, " + IcmpSource + " }");
        byte[] template = kind switch
        {
            "echo" => Ping("10.1.0.1", "10.0.0.7"),
            "too big" => Tcp("10.9.0.5", payload: 1460),
            _ => Tcp("10.9.0.5", payload: 1460, dontFragment: false),
        };
        var buffers = new byte[64][];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = new byte[template.Length];
        }

        var batch = new PacketBatch(64);
        void Round()
        {
            batch.Clear();
            for (int i = 0; i < buffers.Length; i++)
            {
                template.CopyTo(buffers[i], 0);
                ref Packet p = ref batch.Append(buffers[i], 0, template.Length);
                p.Ingress = StageHarness.Lan0;
            }

            h.RoutingWorker.Process(batch);
        }

        Round();
        Assert.Equal(64, batch.Emitted(PacketDirection.Outbound)!.Count);

        // Past tiered compilation's promotions (call counts, loop transitions), which may allocate on this thread once.
        for (int round = 0; round < 300; round++)
        {
            Round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int round = 0; round < 50; round++)
        {
            Round();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
