using System.Buffers.Binary;
using System.Threading.Channels;
using RouterHost.Packets;
using RouterHost.Pipeline;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// A packet whose walk ends with a peer egress leaves through the stage that owns the peer: from one tunnel's peer to
/// another's (two Tunnel test stages in one chain, the built-in Firewall and Routing inside them), from an interface
/// to a tunnel inside routing, and the router's replies (a firewall reject, routing's ICMP errors) to a peer that sent
/// the packet. The firewall decides each packet once, with the peers as ingress and egress.
/// </summary>
public sealed class PeerToPeerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private const string FirewallStage = """
        { "Type": "Firewall", "Settings": { "Rules": [
            { "Direction": "inbound", "From": "group:spokes", "To": "group:spokes", "Protocol": "tcp", "Ports": [ "23" ], "Action": "reject" },
            { "Direction": "inbound", "From": "group:spokes", "To": "group:spokes", "Action": "accept" } ] } }
        """;

    private const string RoutingStage = """{ "Type": "Routing", "Settings": { "IcmpSource": { "IPv4": "10.0.0.1" } } }""";

    private static readonly string HubConfig = Hub(firewallOutsideRouting: false);

    /// <summary>[Firewall, Routing, t1, t2, t3] (or Routing first): t1's and t2's peers in the group "spokes", t3's not.</summary>
    private static string Hub(bool firewallOutsideRouting) => $$"""
        {
          "Pipeline": { "Stages": [
            {{(firewallOutsideRouting ? RoutingStage : FirewallStage)}},
            {{(firewallOutsideRouting ? FirewallStage : RoutingStage)}},
            { "Type": "Tunnel", "Name": "t1", "Settings": { "Exchange": "$EXCHANGE-1", "Peer": "one", "Prefixes": [ "10.9.0.0/16" ], "Groups": [ "spokes" ] } },
            { "Type": "Tunnel", "Name": "t2", "Settings": { "Exchange": "$EXCHANGE-2", "Peer": "two", "Prefixes": [ "10.10.0.0/16" ], "Groups": [ "spokes" ] } },
            { "Type": "Tunnel", "Name": "t3", "Settings": { "Exchange": "$EXCHANGE-3", "Peer": "three", "Prefixes": [ "10.11.0.0/16" ] } } ] },
          "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
        }
        """;

    [Fact]
    public async Task A_packet_from_one_peer_routed_to_another_leaves_through_the_stage_that_owns_that_peer_whichever_side_of_the_entry_it_is()
    {
        using TestRouter router = TestRouter.Start(HubConfig);
        var wire = new TunnelWires(router.Exchange.Id);

        // t2 (outside t1) to t1's peer, and t1 to t2's peer: both are turned around to the owner.
        wire.In(2).TryWrite(Udp([10, 10, 0, 5], [10, 9, 1, 1], ttl: 9));
        wire.In(1).TryWrite(Udp([10, 9, 1, 1], [10, 10, 0, 5], ttl: 9));
        byte[] atOne = await wire.Take(1);
        byte[] atTwo = await wire.Take(2);

        Assert.Equal(new byte[] { 10, 10, 0, 5 }, atOne[12..16]);
        Assert.Equal(new byte[] { 10, 9, 1, 1 }, atTwo[12..16]);
        Assert.Equal(8, atOne[8]);
        Assert.Equal(8, atTwo[8]);
        AssertNoPeerNotHandled(router);
        Assert.Empty(router.Exchange.Drain("mem0", 0, "out"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_firewall_decides_a_peer_to_peer_packet_once_with_both_peers_and_rules_between_groups_apply(bool firewallOutsideRouting)
    {
        // Outside routing, the firewall finds the egress peer through the routing stage's resolver.
        using TestRouter router = TestRouter.Start(Hub(firewallOutsideRouting));
        var wire = new TunnelWires(router.Exchange.Id);

        // Between the spokes (group rule): accepted. From t3's peer (not in the group): the inbound default, drop.
        wire.In(2).TryWrite(Udp([10, 10, 0, 5], [10, 9, 1, 1], ttl: 9));
        wire.In(3).TryWrite(Udp([10, 11, 0, 5], [10, 9, 1, 2], ttl: 9));
        byte[] arrived = await wire.Take(1);
        Assert.Equal(new byte[] { 10, 10, 0, 5 }, arrived[12..16]);

        StageStatistics firewall = WaitForStage(router, "Firewall", s => s.In >= 2);
        Assert.Equal(2, firewall.In);
        Assert.Equal(1, firewall.Dropped.GetValueOrDefault("firewall.default_drop"));
        Assert.False(wire.Out(1).TryRead(out _));

        // Routing saw each once too (only the accepted one when the firewall, outside it, came first); the owner, t1,
        // took the accepted one on the way out.
        // A lane writes the counters after the packet may have reached the wire; a stage's "in" is written after the
        // outcomes of those packets (StageCountersTests), so waiting for "in" is enough to read the outcomes.
        StageStatistics t1 = WaitForStage(router, "t1", s => s.Consumed >= 1);
        Assert.Equal(firewallOutsideRouting ? 1 : 2, WaitForStage(router, "Routing", s => s.In >= (firewallOutsideRouting ? 1 : 2)).In);
        Assert.Equal(1, t1.Consumed);
        AssertNoPeerNotHandled(router);
    }

    [Fact]
    public async Task A_rule_from_one_peer_to_another_lets_the_replies_back_and_nothing_else()
    {
        const string Config = """
            {
              "Pipeline": { "Stages": [
                { "Type": "Firewall", "Settings": { "Rules": [ { "Direction": "inbound", "From": "two", "To": "one", "Protocol": "udp", "Action": "accept" } ] } },
                { "Type": "Routing" },
                { "Type": "Tunnel", "Name": "t1", "Settings": { "Exchange": "$EXCHANGE-1", "Peer": "one", "Prefixes": [ "10.9.0.0/16" ] } },
                { "Type": "Tunnel", "Name": "t2", "Settings": { "Exchange": "$EXCHANGE-2", "Peer": "two", "Prefixes": [ "10.10.0.0/16" ] } } ] },
              "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """;
        using TestRouter router = TestRouter.Start(Config);
        var wire = new TunnelWires(router.Exchange.Id);

        wire.In(2).TryWrite(Udp([10, 10, 0, 5], [10, 9, 1, 1], ttl: 9, sourcePort: 4000, destinationPort: 5000));
        Assert.Equal(new byte[] { 10, 10, 0, 5 }, (await wire.Take(1))[12..16]);

        // The reply of that flow is tracked; a flow one starts itself is not allowed.
        wire.In(1).TryWrite(Udp([10, 9, 1, 1], [10, 10, 0, 5], ttl: 9, sourcePort: 6000, destinationPort: 7000));
        wire.In(1).TryWrite(Udp([10, 9, 1, 1], [10, 10, 0, 5], ttl: 9, sourcePort: 5000, destinationPort: 4000));
        byte[] reply = await wire.Take(2);
        Assert.Equal(5000, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(20)));
        StageStatistics firewall = WaitForStage(router, "Firewall", s => s.In >= 3);
        Assert.Equal(1, firewall.Dropped.GetValueOrDefault("firewall.default_drop"));
        Assert.False(wire.Out(2).TryRead(out _));
    }

    [Fact]
    public async Task A_rejected_packet_from_a_peer_is_answered_with_a_RST_through_the_tunnel_to_that_peer()
    {
        using TestRouter router = TestRouter.Start(HubConfig);
        var wire = new TunnelWires(router.Exchange.Id);

        wire.In(2).TryWrite(TcpSyn([10, 10, 0, 5], [10, 9, 1, 1], 40000, 23));
        byte[] reply = await wire.Take(2);

        Assert.Equal(IpProtocol.Tcp, reply[9]);
        Assert.Equal(new byte[] { 10, 9, 1, 1 }, reply[12..16]);
        Assert.Equal(new byte[] { 10, 10, 0, 5 }, reply[16..20]);
        Assert.Equal(23, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(20)));
        Assert.Equal(40000, BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(22)));
        Assert.True((reply[33] & 0x04) != 0, $"TCP flags {reply[33]:x2}: no RST");
        Assert.False(wire.Out(1).TryRead(out _));

        // ICMP between the same peers passes.
        wire.In(2).TryWrite(Echo([10, 10, 0, 5], [10, 9, 1, 1]));
        byte[] echo = await wire.Take(1);
        Assert.Equal(IpProtocol.Icmp, echo[9]);
        AssertNoPeerNotHandled(router);
    }

    [Fact]
    public async Task Routing_ICMP_errors_for_a_packet_from_a_peer_go_back_through_the_tunnel_to_that_peer()
    {
        using TestRouter router = TestRouter.Start(HubConfig);
        var wire = new TunnelWires(router.Exchange.Id);

        // TTL 1 toward the other spoke: time exceeded. A destination no route covers: unreachable.
        wire.In(2).TryWrite(Udp([10, 10, 0, 5], [10, 9, 1, 1], ttl: 1));
        byte[] exceeded = await wire.Take(2);
        wire.In(2).TryWrite(Udp([10, 10, 0, 5], [192, 0, 2, 9], ttl: 9));
        byte[] unreachable = await wire.Take(2);

        foreach ((byte[] icmp, byte type) in new[] { (exceeded, (byte)11), (unreachable, (byte)3) })
        {
            Assert.Equal(IpProtocol.Icmp, icmp[9]);
            Assert.Equal(new byte[] { 10, 0, 0, 1 }, icmp[12..16]);
            Assert.Equal(new byte[] { 10, 10, 0, 5 }, icmp[16..20]);
            Assert.Equal(type, icmp[20]);
        }

        Assert.False(wire.Out(1).TryRead(out _));
        AssertNoPeerNotHandled(router);
    }

    [Fact]
    public async Task A_packet_routed_to_a_peer_after_its_tunnel_stage_was_passed_is_handed_back_to_that_stage()
    {
        // The tunnel inside routing: a packet read from the interface passes it before routing names the peer.
        const string Config = """
            {
              "Pipeline": { "Stages": [
                { "Type": "Tunnel", "Name": "t1", "Settings": { "Exchange": "$EXCHANGE-1", "Peer": "one", "Prefixes": [ "10.9.0.0/16" ] } },
                { "Type": "Routing" } ] },
              "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """;
        using TestRouter router = TestRouter.Start(Config);
        var wire = new TunnelWires(router.Exchange.Id);

        router.Exchange.Inject("mem0", 0, Udp([10, 1, 0, 7], [10, 9, 3, 3], ttl: 9));
        byte[] sent = await wire.Take(1);

        Assert.Equal(new byte[] { 10, 9, 3, 3 }, sent[16..20]);
        AssertNoPeerNotHandled(router);
    }

    private static void AssertNoPeerNotHandled(TestRouter router)
    {
        foreach (QueueStatistics queue in router.Runner.Metrics.SnapshotQueues())
        {
            Assert.False(queue.ReceiveDrops.ContainsKey("peer_not_handled"), $"{queue.Interface}/{queue.Queue}: {string.Join(", ", queue.ReceiveDrops)}");
        }
    }

    private static StageStatistics WaitForStage(TestRouter router, string name, Func<StageStatistics, bool> done)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            StageStatistics stage = router.Runner.Metrics.SnapshotStages().Single(s => s.Name == name);
            if (done(stage) || DateTime.UtcNow > deadline)
            {
                return stage;
            }

            Thread.Sleep(10);
        }
    }

    private static byte[] Ipv4(byte[] source, byte[] destination, byte ttl, byte protocol, int payload)
    {
        byte[] p = new byte[20 + payload];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = ttl;
        p[9] = protocol;
        source.CopyTo(p, 12);
        destination.CopyTo(p, 16);
        Ipv4Header.WriteChecksum(p);
        return p;
    }

    private static byte[] Udp(byte[] source, byte[] destination, byte ttl, ushort sourcePort = 4000, ushort destinationPort = 5000)
    {
        byte[] p = Ipv4(source, destination, ttl, IpProtocol.Udp, 8 + 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 24);
        return p;
    }

    private static byte[] TcpSyn(byte[] source, byte[] destination, ushort sourcePort, ushort destinationPort)
    {
        byte[] p = Ipv4(source, destination, 64, IpProtocol.Tcp, 20);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(24), 1000);
        p[32] = 5 << 4;
        p[33] = 0x02;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(34), 64240);
        return p;
    }

    private static byte[] Echo(byte[] source, byte[] destination)
    {
        byte[] p = Ipv4(source, destination, 64, IpProtocol.Icmp, 16);
        p[20] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 7);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(26), 1);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), InternetChecksum.Compute(p.AsSpan(20)));
        return p;
    }

    /// <summary>The Tunnel test stages' wires: "$EXCHANGE-N" for stage tN.</summary>
    private sealed class TunnelWires(string id)
    {
        public ChannelWriter<byte[]> In(int n) => ((Channel<byte[]>)AppContext.GetData($"RouterHost.TestStages.Tunnel/{id}-{n}/in")!).Writer;

        public ChannelReader<byte[]> Out(int n) => ((Channel<byte[]>)AppContext.GetData($"RouterHost.TestStages.Tunnel/{id}-{n}/out")!).Reader;

        public async Task<byte[]> Take(int n)
        {
            using var cts = new CancellationTokenSource(Wait);
            return await Out(n).ReadAsync(cts.Token);
        }
    }
}
