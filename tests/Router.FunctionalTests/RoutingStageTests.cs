using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Packets.Tests;
using RouterHost.Routing.Stage;

namespace RouterHost.FunctionalTests;

public sealed class RoutingStageTests
{
    private const string Settings = """
        {
          "Routes": [
            { "Destination": "198.51.100.0/24", "Interface": "lan1" },
            { "Destination": "2001:db8::/64", "Interface": "lan1" },
            { "Destination": "10.2.0.0/16", "Interface": "lan1" },
            { "Destination": "10.2.3.0/24", "Interface": "lan2", "Via": "10.0.0.254" },
            { "Destination": "10.7.0.0/16", "Interface": "lan1" },
            { "Destination": "10.7.0.0/16", "Interface": "lan2" },
            { "Destination": "10.7.0.0/16", "Interface": "lan0", "Metric": 5 }
          ],
          "IcmpSource": { "IPv4": "10.255.0.1", "IPv6": "fd00::ff" }
        }
        """;

    private static byte[] Tcp(string destination, byte ttl = 64, ushort sourcePort = 40000, string? source = null) =>
        TestPackets.Tcp(new TestPackets.TcpSpec
        {
            IPv6 = destination.Contains(':', StringComparison.Ordinal),
            Destination = System.Net.IPAddress.Parse(destination).GetAddressBytes(),
            Source = source is null ? null : System.Net.IPAddress.Parse(source).GetAddressBytes(),
            Ttl = ttl,
            SourcePort = sourcePort,
        });

    [Theory]
    [InlineData("10.2.3.4", 2)]
    [InlineData("10.2.4.4", 1)]
    [InlineData("198.51.100.7", 1)]
    [InlineData("2001:db8::2", 1)]
    public void The_longest_matching_prefix_decides_the_egress(string destination, int expectedInterface)
    {
        using var h = new StageHarness(Settings);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp(destination));
        h.RoutingWorker.Process(batch);
        Assert.Equal(PacketVerdict.Forward, batch[0].Verdict);
        Assert.Equal(PortId.Interface(expectedInterface), batch[0].Egress);
    }

    [Fact]
    public void Forwarding_decrements_the_TTL_keeping_the_IPv4_checksum_valid_and_the_IPv6_hop_limit()
    {
        using var h = new StageHarness(Settings);
        byte[] v4 = Tcp("198.51.100.7", ttl: 9);
        byte[] v6 = Tcp("2001:db8::2", ttl: 9);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, v4, v6);
        h.RoutingWorker.Process(batch);
        Assert.Equal(8, v4[8]);
        Assert.Equal(0xFFFF, InternetChecksum.SumScalar(v4.AsSpan(0, 20)));
        Assert.Equal(8, v6[7]);
        Assert.True(TestPackets.ChecksumsValid(v4));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TTL_1_is_dropped_with_time_exceeded_sent_back_to_the_ingress_from_the_configured_source(bool ipv6)
    {
        using var h = new StageHarness(Settings);
        byte[] original = Tcp(ipv6 ? "2001:db8::2" : "198.51.100.7", ttl: 1);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, original);
        h.RoutingWorker.Process(batch);
        Assert.Equal(PacketVerdict.Dropped, batch[0].Verdict);
        Assert.Equal(RoutingDropReasons.TtlExceeded, batch[0].DropReason);

        PacketBatch emitted = batch.Emitted(PacketDirection.Outbound)!;
        Assert.Equal(1, emitted.Count);
        Packet reply = emitted[0];
        Assert.Equal(StageHarness.Lan0, reply.Egress);
        Assert.Equal(PortId.Local, reply.Ingress);
        ReadOnlySpan<byte> data = reply.Data;
        if (ipv6)
        {
            Assert.Equal(IpProtocol.IcmpV6, data[6]);
            Assert.Equal(3, data[40]);
            Assert.Equal(System.Net.IPAddress.Parse("fd00::ff").GetAddressBytes(), data.Slice(8, 16).ToArray());
            Assert.Equal(original.AsSpan(8, 16).ToArray(), data.Slice(24, 16).ToArray());
        }
        else
        {
            Assert.Equal(IpProtocol.Icmp, data[9]);
            Assert.Equal(11, data[20]);
            Assert.Equal(new byte[] { 10, 255, 0, 1 }, data.Slice(12, 4).ToArray());
            Assert.Equal(original.AsSpan(12, 4).ToArray(), data.Slice(16, 4).ToArray());
        }

        Assert.Equal(1, h.Routing.GetCounters().TimeExceededSent);
    }

    [Fact]
    public void No_route_is_dropped_with_destination_unreachable_and_errors_are_rate_limited()
    {
        string limited = Settings.Replace("\"IcmpSource\"", "\"IcmpErrors\": { \"PerSecond\": 0.001, \"Burst\": 2 }, \"IcmpSource\"", StringComparison.Ordinal);
        using var h = new StageHarness(limited);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, [.. Enumerable.Range(0, 5).Select(_ => Tcp("192.168.77.1"))]);
        h.RoutingWorker.Process(batch);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(RoutingDropReasons.NoRoute, batch[i].DropReason);
        }

        PacketBatch emitted = batch.Emitted(PacketDirection.Outbound)!;
        Assert.Equal(2, emitted.Count);
        Assert.Equal(3, emitted[0].Data[20]);
        Assert.Equal(0, emitted[0].Data[21]);
        RoutingCounters counters = h.Routing.GetCounters();
        Assert.Equal(2, counters.UnreachableSent);
        Assert.Equal(3, counters.IcmpRateLimited);
    }

    [Fact]
    public void A_peers_allowed_prefixes_route_to_it_and_its_packets_must_come_from_inside_them()
    {
        using var h = new StageHarness(Settings);
        PacketBatch toPeer = StageHarness.Batch(StageHarness.Lan0, Tcp("10.9.1.1"), Tcp("fd09::1"));
        h.RoutingWorker.Process(toPeer);
        Assert.Equal(h.Alice, toPeer[0].Egress);
        Assert.Equal(h.Alice, toPeer[1].Egress);

        PacketBatch fromPeer = StageHarness.Batch(h.Alice, Tcp("198.51.100.7", source: "10.9.0.5"), Tcp("198.51.100.7", source: "10.10.0.5"), Tcp("2001:db8::2", source: "fd09::7"), Tcp("2001:db8::2", source: "fd0a::7"));
        h.RoutingWorker.Process(fromPeer);
        Assert.Equal(PacketVerdict.Forward, fromPeer[0].Verdict);
        Assert.Equal(RoutingDropReasons.SourceNotAllowed, fromPeer[1].DropReason);
        Assert.Equal(PacketVerdict.Forward, fromPeer[2].Verdict);
        Assert.Equal(RoutingDropReasons.SourceNotAllowed, fromPeer[3].DropReason);
    }

    [Fact]
    public void Equal_cost_routes_share_flows_and_each_flow_keeps_its_path()
    {
        using var h = new StageHarness(Settings);
        var paths = new Dictionary<ushort, PortId>();
        for (int round = 0; round < 3; round++)
        {
            for (ushort port = 1000; port < 1200; port++)
            {
                PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.7.1.1", sourcePort: port));
                h.RoutingWorker.Process(batch);
                PortId egress = batch[0].Egress;
                Assert.NotEqual(StageHarness.Lan0, egress); // the metric-5 route never wins
                if (!paths.TryAdd(port, egress))
                {
                    Assert.Equal(paths[port], egress);
                }
            }
        }

        int onLan1 = paths.Values.Count(p => p == StageHarness.Lan1);
        Assert.InRange(onLan1, 60, 140);
    }

    [Fact]
    public void Packets_that_already_have_an_egress_pass_untouched()
    {
        using var h = new StageHarness(Settings);
        byte[] bytes = Tcp("192.168.77.1", ttl: 1);
        PacketBatch batch = StageHarness.Batch(PortId.Local, bytes);
        batch[0].Egress = StageHarness.Lan2;
        h.RoutingWorker.Process(batch);
        Assert.Equal(PacketVerdict.Forward, batch[0].Verdict);
        Assert.Equal(StageHarness.Lan2, batch[0].Egress);
        Assert.Equal(1, bytes[8]);
    }

    public static TheoryData<string, byte[]> MalformedPackets()
    {
        byte[] v4 = Tcp("198.51.100.7");
        byte[] badIhl = (byte[])v4.Clone();
        badIhl[0] = 0x44;
        byte[] longTotal = (byte[])v4.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longTotal.AsSpan(2), (ushort)(v4.Length + 40));
        byte[] v6 = Tcp("2001:db8::2");
        byte[] badPayloadLength = (byte[])v6.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(badPayloadLength.AsSpan(4), 4000);
        byte[] extensionLoop = (byte[])v6.Clone();
        extensionLoop[6] = 0; // hop-by-hop, whose length runs past the packet
        extensionLoop[41] = 200;
        return new TheoryData<string, byte[]>
        {
            { "packet.truncated", v4[..10] },
            { "packet.ip.bad_version", [0x50, .. v4[1..]] },
            { "packet.ipv4.bad_ihl", badIhl },
            { "packet.ipv4.bad_total_length", longTotal },
            { "packet.truncated", v6[..30] },
            { "packet.ipv6.bad_payload_length", badPayloadLength },
            { "packet.ipv6.bad_extension_header", extensionLoop },
            { "packet.tcp.truncated", v4[..30] is var t ? Retotal(t) : t },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedPackets))]
    public void Malformed_packets_are_dropped_with_the_parsers_reason(string reason, byte[] packet)
    {
        using var h = new StageHarness(Settings);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, packet);
        h.RoutingWorker.Process(batch);
        Assert.Equal(PacketVerdict.Dropped, batch[0].Verdict);
        Assert.Equal(reason, batch[0].DropReason.Name);
        Assert.Equal(0, batch.Emitted(PacketDirection.Outbound)!.Count);
    }

    [Fact]
    public void A_later_fragment_is_routed_like_any_packet()
    {
        using var h = new StageHarness(Settings);
        byte[] fragment = Tcp("198.51.100.7");
        BinaryPrimitives.WriteUInt16BigEndian(fragment.AsSpan(6), 0x0010); // offset 128 bytes, no more fragments
        Ipv4Header.WriteChecksum(fragment);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, fragment);
        h.RoutingWorker.Process(batch);
        Assert.Equal(PacketVerdict.Forward, batch[0].Verdict);
        Assert.Equal(StageHarness.Lan1, batch[0].Egress);
    }

    [Fact]
    public void Random_bytes_are_forwarded_with_an_egress_or_dropped_with_a_reason_never_thrown()
    {
        using var h = new StageHarness(Settings);
        Prop.ForAll(
            Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).Select(b => PrefixWithVersion(b)).ToArbitrary(),
            bytes =>
            {
                PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, bytes);
                h.RoutingWorker.Process(batch);
                Packet p = batch[0];
                return p.Verdict switch
                {
                    PacketVerdict.Forward => !p.Egress.IsNone,
                    PacketVerdict.Dropped => !p.DropReason.IsNone,
                    _ => false,
                };
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Settings_problems_name_their_key_paths()
    {
        IReadOnlyList<ConfigurationProblem> problems = new RoutingStagePlugin().Validate(StageHarness.Section("""
            {
              "Routes": [
                { "Destination": "10.0.0.0/33", "Interface": "lan1" },
                { "Destination": "10.1.0.0/16", "Interface": "lan1", "Peer": "alice" },
                { "Destination": "10.2.0.0/16", "Interface": "lan1", "Via": "fd00::1" },
                { "Destination": "10.3.0.0/16", "Peer": "alice", "Via": "10.0.0.1" },
                { "Interface": "lan1", "Metric": -1 }
              ],
              "IcmpSource": { "IPv4": "fd00::1" },
              "Colour": "blue"
            }
            """, "Routing"));
        StageHarness.AssertProblemsName(
            problems,
            "Routing:Settings:Routes:0:Destination",
            "Routing:Settings:Routes:1: must name exactly one",
            "Routing:Settings:Routes:2:Via",
            "Routing:Settings:Routes:3:Via",
            "Routing:Settings:Routes:4:Destination",
            "Routing:Settings:Routes:4:Metric",
            "Routing:Settings:IcmpSource:IPv4",
            "Routing:Settings:Colour: unknown key");
        Assert.Equal(8, problems.Count);
    }

    [Fact]
    public void A_route_to_a_port_the_router_lacks_fails_the_start_naming_it()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new StageHarness("""{ "Routes": [ { "Destination": "10.0.0.0/8", "Interface": "wan9" } ] }"""));
        Assert.Contains("Routing:Settings:Routes:0", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'wan9'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reconfigure_swaps_in_new_routes_and_an_invalid_one_keeps_the_old()
    {
        using var h = new StageHarness(Settings);
        IReadOnlyList<ConfigurationProblem> refused = h.Routing.Reconfigure(StageHarness.Section("""{ "Routes": [ { "Destination": "10.0.0.0/8", "Interface": "nope" } ] }""", "Routing"), h.Ports);
        Assert.NotEmpty(refused);
        Assert.True(h.Routing.TryResolve([198, 51, 100, 7], 0, out PortId before));
        Assert.Equal(StageHarness.Lan1, before);

        Assert.Empty(h.Routing.Reconfigure(StageHarness.Section("""{ "Routes": [ { "Destination": "198.51.100.0/24", "Interface": "lan2" } ] }""", "Routing"), h.Ports));
        Assert.True(h.Routing.TryResolve([198, 51, 100, 7], 0, out PortId after));
        Assert.Equal(StageHarness.Lan2, after);
        Assert.False(h.Routing.TryResolve([10, 2, 3, 4], 0, out _));
    }

    private static byte[] PrefixWithVersion(byte[] bytes)
    {
        // Half the inputs start like IPv4 or IPv6 so the fuzzing reaches past the version check.
        if (bytes.Length > 0 && (bytes[0] & 1) == 0)
        {
            bytes[0] = (byte)((bytes[0] & 2) == 0 ? 0x45 : 0x60);
        }

        return bytes;
    }

    private static byte[] Retotal(byte[] packet)
    {
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        Ipv4Header.WriteChecksum(packet);
        return packet;
    }
}
