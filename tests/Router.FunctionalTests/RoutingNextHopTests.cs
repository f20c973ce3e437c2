using System.Net;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Packets.Tests;
using RouterHost.Pipeline;

namespace RouterHost.FunctionalTests;

/// <summary>
/// The next hop the Routing stage puts on packets (<see cref="Packet.NextHop"/>) for backends that
/// address frames to a neighbour, and the <see cref="INextHopTable"/> it publishes for them.
/// </summary>
public sealed class RoutingNextHopTests
{
    private const string Settings = """
        {
          "Routes": [
            { "Destination": "10.2.3.0/24", "Interface": "lan2", "Via": "10.0.0.254" },
            { "Destination": "2001:db8:5::/48", "Interface": "lan1", "Via": "fe80::1" },
            { "Destination": "10.2.4.0/24", "Interface": "lan1" },
            { "Destination": "192.0.2.0/24", "Interface": "lan0" },
            { "Destination": "203.0.113.0/24", "Interface": "lan0", "Via": "192.0.2.1" }
          ],
          "IcmpSource": { "IPv4": "10.255.0.1", "IPv6": "fd00::ff" }
        }
        """;

    private static byte[] Tcp(string destination, string? source = null, byte ttl = 64) =>
        TestPackets.Tcp(new TestPackets.TcpSpec
        {
            IPv6 = destination.Contains(':', StringComparison.Ordinal),
            Destination = IPAddress.Parse(destination).GetAddressBytes(),
            Source = source is null ? null : IPAddress.Parse(source).GetAddressBytes(),
            Ttl = ttl,
        });

    private static INextHopTable Published(StageHarness h)
    {
        var services = new StageServices();
        IStage stage = new Routing.Stage.RoutingStagePlugin().Create(new StageContext("Routing", StageHarness.Section(Settings, "Routing"), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, h.Ports, 0, 1) { Services = services });
        stage.Start(h.Ports);
        Assert.True(services.TryGet(out INextHopTable? table));
        return table;
    }

    [Fact]
    public void A_route_via_a_gateway_puts_the_gateways_id_on_the_packet_and_a_connected_route_puts_none()
    {
        using var h = new StageHarness(Settings);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.2.3.9"), Tcp("2001:db8:5::9"), Tcp("10.2.4.9"));
        h.RoutingWorker.Process(batch);

        Assert.Equal(IPAddress.Parse("10.0.0.254"), h.Routing.NextHops.GetAddress(batch[0].NextHop));
        Assert.Equal(IPAddress.Parse("fe80::1"), h.Routing.NextHops.GetAddress(batch[1].NextHop));
        Assert.Equal(0, batch[2].NextHop);
        Assert.Equal(StageHarness.Lan1, batch[2].Egress);
    }

    [Fact]
    public void The_stage_publishes_its_next_hop_table_for_backends()
    {
        using var h = new StageHarness(Settings);
        INextHopTable table = Published(h);
        Span<byte> address = stackalloc byte[16];
        Assert.Equal(3, table.Count);
        Assert.Equal(4, table.CopyAddress(1, address));
        Assert.Equal(new byte[] { 10, 0, 0, 254 }, address[..4].ToArray());
    }

    [Fact]
    public void A_reply_that_already_has_an_interface_egress_gets_the_gateway_of_the_route_back_through_it()
    {
        using var h = new StageHarness(Settings);
        // A firewall reject toward a sender behind 192.0.2.1 on lan0, and one toward a directly connected sender.
        PacketBatch batch = StageHarness.Batch(PortId.Local, Tcp("203.0.113.7"), Tcp("192.0.2.7"), Tcp("203.0.113.7"));
        batch[0].Egress = StageHarness.Lan0;
        batch[1].Egress = StageHarness.Lan0;
        batch[2].Egress = StageHarness.Lan1; // not where the route leads: no gateway of another interface
        h.RoutingWorker.Process(batch);

        Assert.Equal(IPAddress.Parse("192.0.2.1"), h.Routing.NextHops.GetAddress(batch[0].NextHop));
        Assert.Equal(0, batch[1].NextHop);
        Assert.Equal(0, batch[2].NextHop);
        Assert.Equal(StageHarness.Lan1, batch[2].Egress);
    }

    [Fact]
    public void Time_exceeded_for_a_sender_behind_a_gateway_goes_back_to_that_gateway()
    {
        using var h = new StageHarness(Settings);
        PacketBatch batch = StageHarness.Batch(StageHarness.Lan0, Tcp("10.2.4.9", source: "203.0.113.7", ttl: 1));
        h.RoutingWorker.Process(batch);

        Packet reply = batch.Emitted(PacketDirection.Outbound)![0];
        Assert.Equal(StageHarness.Lan0, reply.Egress);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), h.Routing.NextHops.GetAddress(reply.NextHop));
    }

    [Fact]
    public void A_reload_keeps_each_gateways_id_and_gives_a_new_gateway_a_new_one()
    {
        using var h = new StageHarness(Settings);
        PacketBatch before = StageHarness.Batch(StageHarness.Lan0, Tcp("10.2.3.9"));
        h.RoutingWorker.Process(before);
        int id = before[0].NextHop;

        Assert.Empty(h.Routing.Reconfigure(StageHarness.Section("""
            { "Routes": [ { "Destination": "10.9.9.0/24", "Interface": "lan1", "Via": "10.1.1.1" },
                          { "Destination": "10.2.3.0/24", "Interface": "lan2", "Via": "10.0.0.254" } ] }
            """, "Routing"), h.Ports));
        PacketBatch after = StageHarness.Batch(StageHarness.Lan0, Tcp("10.2.3.9"), Tcp("10.9.9.9"));
        h.RoutingWorker.Process(after);

        Assert.Equal(id, after[0].NextHop);
        Assert.Equal(IPAddress.Parse("10.1.1.1"), h.Routing.NextHops.GetAddress(after[1].NextHop));
        Assert.NotEqual(id, after[1].NextHop);
    }
}
