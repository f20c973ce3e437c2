using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

/// <summary>
/// UDP coalescing (USO towards a TUN) for small datagrams, the rate search's traffic: what merges, what does not, and a
/// property: any sequence of datagrams over a few flows, coalesced and then segmented back, gives every flow's
/// datagrams byte-exact and in order.
/// </summary>
public class GroCoalescerUdpTests
{
    private static RecordingSink Coalesce(params byte[][] packets)
    {
        var coalescer = new GroCoalescer(capacity: 128, coalesceUdp: true);
        var sink = new RecordingSink();
        coalescer.Coalesce(packets.Select(p => TestPackets.AsPacket(p, headroom: 16)).ToArray(), sink);
        return sink;
    }

    [Theory]
    [InlineData(false, 36)]
    [InlineData(true, 16)]
    [InlineData(false, 1)]
    public void Small_datagrams_of_one_flow_become_one_superpacket(bool ipv6, int payload)
    {
        byte[][] packets = Enumerable.Range(0, 20).Select(i => TestPackets.Udp(ipv6, TestPackets.Pattern(payload, i), id: (ushort)(7 + i))).ToArray();
        var (bytes, gso, fragments) = Assert.Single(Coalesce(packets).Writes);
        Assert.Equal(GsoType.UdpL4, gso.Type);
        Assert.Equal(payload, gso.SegmentSize);
        Assert.Equal(20, fragments);
        Assert.Equal((ipv6 ? 48 : 28) + (20 * payload), bytes.Length);
    }

    [Fact]
    public void Sixty_four_small_datagrams_at_most_per_superpacket()
    {
        byte[][] packets = Enumerable.Range(0, 100).Select(i => TestPackets.Udp(false, TestPackets.Pattern(36, i), id: (ushort)i)).ToArray();
        Assert.Equal([64, 36], Coalesce(packets).Writes.Select(w => w.Fragments).ToArray());
    }

    [Fact]
    public void Bytes_past_the_udp_length_keep_a_datagram_out()
    {
        byte[] padded = TestPackets.Udp(false, TestPackets.Pattern(36, 1), id: 1);
        Array.Resize(ref padded, padded.Length + 4);
        BinaryPrimitives.WriteUInt16BigEndian(padded.AsSpan(2), (ushort)padded.Length);
        Ipv4Header.WriteChecksum(padded.AsSpan(0, 20));
        RecordingSink sink = Coalesce(TestPackets.Udp(false, TestPackets.Pattern(36, 0), id: 0), padded, TestPackets.Udp(false, TestPackets.Pattern(36, 2), id: 2));
        Assert.Equal(3, sink.Writes.Count);
        Assert.Equal(padded, sink.Writes[1].Bytes);
    }

    [Fact]
    public void A_bad_udp_checksum_is_passed_through_unmerged_for_the_kernel_to_drop()
    {
        byte[] bad = TestPackets.Udp(false, TestPackets.Pattern(36, 1), id: 1);
        bad[^1] ^= 0xFF;
        RecordingSink sink = Coalesce(TestPackets.Udp(false, TestPackets.Pattern(36, 0), id: 0), bad);
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(bad, sink.Writes[1].Bytes);
    }

    [Fact]
    public void Udp_fragments_and_truncated_datagrams_are_not_merged()
    {
        byte[] fragment = TestPackets.Udp(false, TestPackets.Pattern(36, 1), id: 1, dontFragment: false);
        fragment[6] |= 0x20; // more fragments
        Ipv4Header.WriteChecksum(fragment.AsSpan(0, 20));
        byte[] truncated = TestPackets.Udp(false, TestPackets.Pattern(36, 2), id: 2)[..30];
        RecordingSink sink = Coalesce(TestPackets.Udp(false, TestPackets.Pattern(36, 0), id: 0, dontFragment: false), fragment, truncated);
        Assert.Equal(3, sink.Writes.Count);
        Assert.All(sink.Writes, w => Assert.Equal(GsoType.None, w.Gso.Type));
    }

    [Fact]
    public void Ports_and_protocol_separate_flows()
    {
        RecordingSink sink = Coalesce(
            TestPackets.Udp(false, TestPackets.Pattern(36, 0), 5000, 6000, id: 0),
            TestPackets.Udp(false, TestPackets.Pattern(36, 1), 5001, 6000, id: 1),
            TestPackets.Udp(false, TestPackets.Pattern(36, 2), 5000, 6001, id: 2),
            TestPackets.Udp(false, TestPackets.Pattern(36, 3), 5000, 6000, id: 3));
        Assert.Equal([2, 1, 1], sink.Writes.Select(w => w.Fragments).ToArray());
    }

    public sealed record Datagram(bool IPv6, int Flow, int Payload, bool DontFragment);

    private static readonly Gen<Datagram[]> Sequences =
        from ipv6 in ArbMap.Default.GeneratorFor<bool>()
        from df in ArbMap.Default.GeneratorFor<bool>()
        from items in Gen.ArrayOf(
            from flow in Gen.Choose(0, 2)
            from payload in Gen.Frequency((4, Gen.Constant(36)), (2, Gen.Constant(228)), (1, Gen.Choose(1, 1400)))
            select new Datagram(ipv6, flow, payload, df))
        select items;

    [Fact]
    public void Coalesced_then_segmented_gives_every_flow_its_datagrams_exactly_and_in_order()
    {
        Prop.ForAll(Sequences.ToArbitrary(), RoundTrips).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    private static bool RoundTrips(Datagram[] items)
    {
        var ids = new ushort[3];
        byte[][] input = items.Select((d, i) => TestPackets.Udp(
            d.IPv6, TestPackets.Pattern(d.Payload, i), (ushort)(5000 + d.Flow), 6000, id: ids[d.Flow]++, dontFragment: d.DontFragment)).ToArray();
        var coalescer = new GroCoalescer(capacity: 16, coalesceUdp: true);
        var sink = new RecordingSink();
        coalescer.Coalesce(input.Select(p => TestPackets.AsPacket(p, headroom: 16)).ToArray(), sink);

        var output = new List<byte[]>();
        foreach (var (bytes, gso, _) in sink.Writes)
        {
            if (gso.Type == GsoType.None)
            {
                output.Add(bytes);
                continue;
            }

            Assert.Equal(GsoType.UdpL4, gso.Type);
            int count = Segmenter.SegmentCount(bytes, gso);
            var buffers = new Memory<byte>[count];
            for (int i = 0; i < count; i++)
            {
                buffers[i] = new byte[gso.HeaderLength + gso.SegmentSize];
            }

            int[] lengths = new int[count];
            Assert.Equal(DropReason.None, Segmenter.Segment(bytes, gso, buffers, lengths, out int produced));
            for (int i = 0; i < produced; i++)
            {
                output.Add(buffers[i].Span[..lengths[i]].ToArray());
            }
        }

        for (int flow = 0; flow < 3; flow++)
        {
            int f = flow;
            Assert.Equal(
                input.Where((_, i) => items[i].Flow == f).ToArray(),
                output.Where(p => BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(items.Length > 0 && items[0].IPv6 ? 40 : 20)) == 5000 + f).ToArray());
        }

        Assert.Equal(input.Length, output.Count);
        return true;
    }
}
