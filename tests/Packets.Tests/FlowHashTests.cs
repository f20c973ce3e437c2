using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public class FlowHashTests
{
    private static byte[] Tcp(ushort sourcePort, ushort destinationPort, bool ipv6 = false, bool reversed = false) =>
        TestPackets.Tcp(new TestPackets.TcpSpec
        {
            IPv6 = ipv6,
            SourcePort = reversed ? destinationPort : sourcePort,
            DestinationPort = reversed ? sourcePort : destinationPort,
            Source = reversed ? (ipv6 ? TestPackets.DestinationV6 : TestPackets.DestinationV4) : null,
            Destination = reversed ? (ipv6 ? TestPackets.SourceV6 : TestPackets.SourceV4) : null,
            Payload = [1, 2, 3],
        });

    [Fact]
    public void Same_five_tuple_hashes_the_same_whatever_the_payload()
    {
        byte[] a = Tcp(1000, 80);
        byte[] b = TestPackets.Tcp(new TestPackets.TcpSpec { SourcePort = 1000, DestinationPort = 80, Payload = TestPackets.Pattern(900), Sequence = 77 });
        Assert.Equal(FlowHash.Compute(a), FlowHash.Compute(b));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Symmetric_hash_is_the_same_both_ways_and_plain_hash_is_not(bool ipv6)
    {
        byte[] forward = Tcp(1000, 80, ipv6);
        byte[] reverse = Tcp(1000, 80, ipv6, reversed: true);
        Assert.Equal(FlowHash.Compute(forward, symmetric: true), FlowHash.Compute(reverse, symmetric: true));
        Assert.NotEqual(FlowHash.Compute(forward), FlowHash.Compute(reverse));
    }

    [Fact]
    public void Ports_protocol_and_seed_change_the_hash()
    {
        uint baseHash = FlowHash.Compute(Tcp(1000, 80));
        Assert.NotEqual(baseHash, FlowHash.Compute(Tcp(1001, 80)));
        Assert.NotEqual(baseHash, FlowHash.Compute(Tcp(1000, 81)));
        Assert.NotEqual(baseHash, FlowHash.Compute(Tcp(1000, 80), seed: 1));
        Assert.NotEqual(FlowHash.Compute(TestPackets.Udp(false, [1], 1000, 80)), baseHash);
    }

    [Fact]
    public void Fragments_of_a_datagram_hash_alike_without_ports()
    {
        byte[] first = TestPackets.Udp(false, TestPackets.Pattern(16), dontFragment: false);
        first[6] = 0x20;
        byte[] later = TestPackets.Udp(false, TestPackets.Pattern(16), dontFragment: false);
        BinaryPrimitives.WriteUInt16BigEndian(later.AsSpan(6), 185);
        Ipv4Header.WriteChecksum(first);
        Ipv4Header.WriteChecksum(later);
        Assert.Equal(FlowHash.Compute(first), FlowHash.Compute(later));
    }

    [Fact]
    public void Hash_spreads_flows_over_queues()
    {
        int[] buckets = new int[8];
        for (int port = 0; port < 8000; port++)
        {
            buckets[FlowHash.Compute(Tcp((ushort)(port + 1024), 443)) % 8]++;
        }

        Assert.All(buckets, b => Assert.InRange(b, 800, 1200));
    }

    [Fact]
    public void Garbage_hashes_to_a_nonzero_value_without_throwing()
    {
        Assert.NotEqual(0u, FlowHash.Compute([]));
        Assert.NotEqual(0u, FlowHash.Compute([0x45, 0, 0]));
        Assert.Equal(FlowHash.Compute([0x45]), FlowHash.Compute([0x60, 1]));
    }
}
