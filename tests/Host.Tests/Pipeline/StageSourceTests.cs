using System.Buffers.Binary;
using System.Threading.Channels;
using RouterHost.Packets;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Pipeline;

/// <summary>
/// Contract 1.2: a stage with sources of its own (the Tunnel test stage) gets runner threads for them; their
/// batches enter at the stage walking inbound, through the built-in Routing stage inside it (with its
/// cryptokey check against the stage's peer), out to an interface; and packets routed to the peer reach it.
/// </summary>
public sealed class StageSourceTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private const string Config = """
        {
          "Pipeline": { "Stages": [
            { "Type": "Routing", "Settings": { "Routes": [ { "Destination": "10.1.0.0/24", "Interface": "mem0" } ] } },
            { "Type": "Tunnel", "Settings": { "Exchange": "$EXCHANGE", "Peer": "far", "Prefixes": [ "10.9.0.0/16" ] } } ] },
          "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
        }
        """;

    [Fact]
    public async Task Packets_from_a_stage_source_walk_inward_from_that_stage_and_packets_for_its_peer_reach_it()
    {
        using TestRouter router = TestRouter.Start(Config);
        string id = router.Exchange.Id;
        var wireIn = (Channel<byte[]>)AppContext.GetData($"RouterHost.TestStages.Tunnel/{id}/in")!;
        var wireOut = (Channel<byte[]>)AppContext.GetData($"RouterHost.TestStages.Tunnel/{id}/out")!;

        // From the wire: one from inside the peer's allowed prefixes, one spoofed from outside them.
        wireIn.Writer.TryWrite(Udp([10, 9, 0, 5], [10, 1, 0, 7], ttl: 9));
        wireIn.Writer.TryWrite(Udp([10, 10, 0, 5], [10, 1, 0, 7], ttl: 9));
        byte[] arrived = Assert.Single(router.Exchange.Take("mem0", 0, "out", 1, Wait));
        Assert.Equal(new byte[] { 10, 9, 0, 5 }, arrived[12..16]);
        Assert.Equal(8, arrived[8]);

        // From the interface to the peer's prefixes: routed to the peer, taken by the tunnel stage.
        router.Exchange.Inject("mem0", 0, Udp([10, 1, 0, 7], [10, 9, 1, 1], ttl: 9));
        using var cts = new CancellationTokenSource(Wait);
        byte[] sent = await wireOut.Reader.ReadAsync(cts.Token);
        Assert.Equal(new byte[] { 10, 9, 1, 1 }, sent[16..20]);

        var stats = router.Runner.Metrics.SnapshotStages().Single(s => s.Name == "Routing");
        Assert.Equal(1, stats.Dropped.GetValueOrDefault("routing.source_not_allowed"));
        Assert.Contains(router.Runner.Workers, w => w.InterfaceName == "stage/Tunnel");
        Assert.Empty(router.Exchange.Drain("mem0", 0, "out"));
    }

    private static byte[] Udp(byte[] source, byte[] destination, byte ttl)
    {
        byte[] p = new byte[20 + 8 + 16];
        p[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        p[8] = ttl;
        p[9] = IpProtocol.Udp;
        source.CopyTo(p, 12);
        destination.CopyTo(p, 16);
        Ipv4Header.WriteChecksum(p);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(20), 4000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(22), 5000);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(24), 24);
        return p;
    }
}
