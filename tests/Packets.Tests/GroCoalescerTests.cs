using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public class GroCoalescerTests
{
    private const int Mss = 1000;

    private static TestPackets.TcpSpec Segment(int index, bool ipv6 = false, int payload = Mss) => new()
    {
        IPv6 = ipv6,
        Sequence = 1000 + (uint)(index * Mss),
        Id = (ushort)(100 + index),
        Payload = TestPackets.Pattern(payload, seed: index),
    };

    private static RecordingSink Coalesce(bool udp, params byte[][] packets)
    {
        var coalescer = new GroCoalescer(capacity: 64, coalesceUdp: udp);
        var sink = new RecordingSink();
        Packet[] batch = packets.Select(p => TestPackets.AsPacket(p, headroom: 16)).ToArray();
        coalescer.Coalesce(batch, sink);
        Assert.Equal(0, coalescer.Count);
        return sink;
    }

    private static RecordingSink Coalesce(params byte[][] packets) => Coalesce(false, packets);

    private static void AssertNotMerged(params byte[][] packets)
    {
        RecordingSink sink = Coalesce(packets);
        Assert.Equal(packets.Length, sink.Writes.Count);
        for (int i = 0; i < packets.Length; i++)
        {
            Assert.Equal(packets[i], sink.Writes[i].Bytes);
            Assert.Equal(GsoType.None, sink.Writes[i].Gso.Type);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Consecutive_segments_of_one_flow_become_one_superpacket(bool ipv6)
    {
        byte[][] packets = [TestPackets.Tcp(Segment(0, ipv6)), TestPackets.Tcp(Segment(1, ipv6)), TestPackets.Tcp(Segment(2, ipv6, 300))];
        RecordingSink sink = Coalesce(packets);
        var (bytes, gso, fragments) = Assert.Single(sink.Writes);
        int ip = ipv6 ? 40 : 20;
        Assert.Equal(ipv6 ? GsoType.TcpV6 : GsoType.TcpV4, gso.Type);
        Assert.Equal(Mss, gso.SegmentSize);
        Assert.Equal(ip + 20, gso.HeaderLength);
        Assert.Equal(ip, gso.ChecksumStart);
        Assert.Equal(16, gso.ChecksumOffset);
        Assert.True(gso.NeedsChecksum);
        Assert.Equal(3, fragments);
        Assert.Equal(ip + 20 + 2300, bytes.Length);

        Assert.Equal(DropReason.None, PacketParser.Parse(bytes, out PacketLayout layout));
        Assert.Equal(bytes.Length, layout.PacketLength);
        if (!ipv6)
        {
            Assert.True(InternetChecksum.Verifies(bytes.AsSpan(0, 20)));
        }

        // NEEDS_CSUM: the field holds the folded, non-inverted pseudo-header sum for the whole L4 length.
        Assert.Equal(TestPackets.ScalarPseudo(bytes, IpProtocol.Tcp, bytes.Length - ip), BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(ip + 16)));
        byte[] expectedPayload = [.. packets[0].AsSpan(ip + 20), .. packets[1].AsSpan(ip + 20), .. packets[2].AsSpan(ip + 20)];
        Assert.Equal(expectedPayload, bytes.AsSpan(ip + 20).ToArray());
    }

    [Fact]
    public void Payload_fragments_are_slices_of_the_original_buffers_not_copies()
    {
        var coalescer = new GroCoalescer(8);
        Packet[] batch = [TestPackets.AsPacket(TestPackets.Tcp(Segment(0)), 8), TestPackets.AsPacket(TestPackets.Tcp(Segment(1)), 8)];
        var sink = new SliceCheckingSink(batch);
        coalescer.Coalesce(batch, sink);
        Assert.Equal(1, sink.SuperPackets);
    }

    [Fact]
    public void Push_ends_the_superpacket_and_is_carried_on_its_header()
    {
        byte[] pushed = TestPackets.Tcp(Segment(1) with { Flags = TcpFlags.Ack | TcpFlags.Psh });
        RecordingSink sink = Coalesce(TestPackets.Tcp(Segment(0)), pushed, TestPackets.Tcp(Segment(2)));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(2, sink.Writes[0].Fragments);
        Assert.True(((TcpFlags)sink.Writes[0].Bytes[33]).HasFlag(TcpFlags.Psh));
        Assert.Equal(TestPackets.Tcp(Segment(2)), sink.Writes[1].Bytes);
    }

    [Fact]
    public void Short_segment_ends_the_superpacket()
    {
        RecordingSink sink = Coalesce(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1, payload: 500)), TestPackets.Tcp(Segment(2) with { Sequence = 1000 + 1500 }));
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(2, sink.Writes[0].Fragments);
    }

    [Fact]
    public void Larger_segment_than_the_first_does_not_merge() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0, payload: 500)), TestPackets.Tcp(Segment(1, payload: 600) with { Sequence = 1500 }));

    [Fact]
    public void Sequence_gap_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Sequence = 1000 + Mss + 1 }));

    [Fact]
    public void Different_ack_number_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Ack = 5001 }));

    [Fact]
    public void Different_window_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Window = 513 }));

    [Fact]
    public void Different_tcp_options_prevent_merging() =>
        AssertNotMerged(
            TestPackets.Tcp(Segment(0) with { Options = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] }),
            TestPackets.Tcp(Segment(1) with { Options = [1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 2] }));

    [Fact]
    public void Different_tcp_header_length_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Options = [1, 1, 1, 1] }));

    [Theory]
    [InlineData(TcpFlags.Ack | TcpFlags.Syn)]
    [InlineData(TcpFlags.Ack | TcpFlags.Fin)]
    [InlineData(TcpFlags.Ack | TcpFlags.Rst)]
    [InlineData(TcpFlags.Ack | TcpFlags.Urg)]
    [InlineData(TcpFlags.Ack | TcpFlags.Cwr)]
    [InlineData(TcpFlags.Ack | TcpFlags.Ece)]
    [InlineData(TcpFlags.Psh)]
    [InlineData(TcpFlags.None)]
    public void Flags_other_than_ack_and_psh_prevent_merging(TcpFlags flags)
    {
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Flags = flags }));
        AssertNotMerged(TestPackets.Tcp(Segment(0) with { Flags = flags }), TestPackets.Tcp(Segment(1)));
    }

    [Fact]
    public void Pure_ack_without_payload_is_not_merged() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1, payload: 0)));

    [Fact]
    public void Different_ports_or_addresses_are_different_flows() =>
        AssertNotMerged(
            TestPackets.Tcp(Segment(0)),
            TestPackets.Tcp(Segment(1) with { SourcePort = 40001 }),
            TestPackets.Tcp(Segment(1) with { DestinationPort = 444 }),
            TestPackets.Tcp(Segment(1) with { Source = [10, 0, 0, 1] }),
            TestPackets.Tcp(Segment(1) with { Destination = [10, 0, 0, 2] }));

    [Fact]
    public void Different_tos_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Tos = 0x03 }));

    [Fact]
    public void Different_ttl_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Ttl = 63 }));

    [Fact]
    public void Different_dont_fragment_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { DontFragment = false, Id = 101 }));

    [Fact]
    public void Without_dont_fragment_identifications_must_count_up()
    {
        AssertNotMerged(TestPackets.Tcp(Segment(0) with { DontFragment = false }), TestPackets.Tcp(Segment(1) with { DontFragment = false, Id = 200 }));
        Assert.Single(Coalesce(TestPackets.Tcp(Segment(0) with { DontFragment = false }), TestPackets.Tcp(Segment(1) with { DontFragment = false })).Writes);
    }

    [Fact]
    public void With_dont_fragment_identifications_may_be_anything() =>
        Assert.Single(Coalesce(TestPackets.Tcp(Segment(0)), TestPackets.Tcp(Segment(1) with { Id = 7 })).Writes);

    [Fact]
    public void Ipv4_options_prevent_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0) with { Ipv4Options = [1, 1, 1, 0] }), TestPackets.Tcp(Segment(1) with { Ipv4Options = [1, 1, 1, 0] }));

    [Fact]
    public void Ipv4_fragments_are_not_merged()
    {
        byte[] a = TestPackets.Tcp(Segment(0) with { DontFragment = false });
        byte[] b = TestPackets.Tcp(Segment(1) with { DontFragment = false });
        foreach (byte[] p in new[] { a, b })
        {
            p[6] = 0x20; // MF
            Ipv4Header.WriteChecksum(p.AsSpan(0, 20));
        }

        AssertNotMerged(a, b);
    }

    [Fact]
    public void A_first_fragment_between_two_segments_of_its_flow_keeps_the_flow_in_order()
    {
        byte[] first = TestPackets.Tcp(Segment(0));
        byte[] fragment = TestPackets.Tcp(Segment(1) with { DontFragment = false });
        fragment[6] = 0x20; // MF, offset 0: a first fragment, with the flow's ports
        Ipv4Header.WriteChecksum(fragment.AsSpan(0, 20));
        byte[] last = TestPackets.Tcp(Segment(1));

        AssertNotMerged(first, fragment, last);
    }

    [Fact]
    public void Ipv6_extension_headers_prevent_merging() =>
        AssertNotMerged(
            PacketParserTests.WithExtensions(TestPackets.Tcp(Segment(0, ipv6: true)), (IpProtocol.DestinationOptions, 8)),
            PacketParserTests.WithExtensions(TestPackets.Tcp(Segment(1, ipv6: true)), (IpProtocol.DestinationOptions, 8)));

    [Fact]
    public void Different_ipv6_flow_label_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0, ipv6: true)), TestPackets.Tcp(Segment(1, ipv6: true) with { FlowLabel = 5 }));

    [Fact]
    public void Different_ipv6_traffic_class_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0, ipv6: true)), TestPackets.Tcp(Segment(1, ipv6: true) with { Tos = 4 }));

    [Fact]
    public void Different_ipv6_hop_limit_prevents_merging() =>
        AssertNotMerged(TestPackets.Tcp(Segment(0, ipv6: true)), TestPackets.Tcp(Segment(1, ipv6: true) with { Ttl = 1 }));

    [Fact]
    public void Bad_tcp_checksum_is_passed_through_unmerged()
    {
        byte[] bad = TestPackets.Tcp(Segment(1));
        bad[^1] ^= 0xFF;
        AssertNotMerged(TestPackets.Tcp(Segment(0)), bad);
        AssertNotMerged(bad, TestPackets.Tcp(Segment(2) with { Sequence = 2000 }));
    }

    [Fact]
    public void Bad_ipv4_header_checksum_is_passed_through_unmerged()
    {
        byte[] bad = TestPackets.Tcp(Segment(1));
        bad[10] ^= 0x01;
        AssertNotMerged(TestPackets.Tcp(Segment(0)), bad);
    }

    [Fact]
    public void Superpacket_stops_at_65535_bytes()
    {
        byte[][] packets = Enumerable.Range(0, 50).Select(i => TestPackets.Tcp(Segment(i) with { Payload = TestPackets.Pattern(1400, i), Sequence = (uint)(i * 1400) })).ToArray();
        RecordingSink sink = Coalesce(packets);
        Assert.Equal(2, sink.Writes.Count);
        Assert.True(sink.Writes[0].Bytes.Length <= 65535);
        Assert.Equal(46, sink.Writes[0].Fragments); // 40 + 46 * 1400 = 64440; one more would pass 65535
        Assert.Equal(4, sink.Writes[1].Fragments);
    }

    [Fact]
    public void Interleaved_flows_merge_separately_and_keep_their_own_order()
    {
        byte[] a0 = TestPackets.Tcp(Segment(0));
        byte[] b0 = TestPackets.Tcp(Segment(0) with { SourcePort = 1 });
        byte[] a1 = TestPackets.Tcp(Segment(1));
        byte[] b1 = TestPackets.Tcp(Segment(1) with { SourcePort = 1 });
        RecordingSink sink = Coalesce(a0, b0, a1, b1);
        Assert.Equal(2, sink.Writes.Count);
        Assert.Equal(40000, BinaryPrimitives.ReadUInt16BigEndian(sink.Writes[0].Bytes.AsSpan(20)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(sink.Writes[1].Bytes.AsSpan(20)));
    }

    [Fact]
    public void A_packet_of_the_flow_that_cannot_merge_closes_the_flow_so_order_is_kept()
    {
        // A pure ACK between data segments: the data after it must not jump ahead of it.
        byte[] ack = TestPackets.Tcp(Segment(1, payload: 0));
        RecordingSink sink = Coalesce(TestPackets.Tcp(Segment(0)), ack, TestPackets.Tcp(Segment(1)), TestPackets.Tcp(Segment(2)));
        Assert.Equal(3, sink.Writes.Count);
        Assert.Equal(ack, sink.Writes[1].Bytes);
        Assert.Equal(2, sink.Writes[2].Fragments);
    }

    [Fact]
    public void Non_tcp_and_unparseable_packets_pass_through()
    {
        AssertNotMerged(TestPackets.Udp(false, TestPackets.Pattern(100)), TestPackets.Udp(false, TestPackets.Pattern(100)));
        AssertNotMerged([0x45, 1, 2], TestPackets.Icmp(false, 8, 0, [1, 2, 3, 4]), []);
    }

    [Fact]
    public void Udp_datagrams_merge_when_enabled()
    {
        byte[][] packets = [TestPackets.Udp(false, TestPackets.Pattern(800, 1)), TestPackets.Udp(false, TestPackets.Pattern(800, 2)), TestPackets.Udp(false, TestPackets.Pattern(100, 3))];
        RecordingSink sink = Coalesce(true, packets);
        var (bytes, gso, fragments) = Assert.Single(sink.Writes);
        Assert.Equal(GsoType.UdpL4, gso.Type);
        Assert.Equal(800, gso.SegmentSize);
        Assert.Equal(6, gso.ChecksumOffset);
        Assert.Equal(3, fragments);
        Assert.Equal(8 + 1700, BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(24)));
        Assert.Equal(TestPackets.ScalarPseudo(bytes, IpProtocol.Udp, 1708), BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(26)));
    }

    [Fact]
    public void Udp_without_checksum_or_after_a_short_datagram_is_not_merged()
    {
        byte[] noChecksum = TestPackets.Udp(false, TestPackets.Pattern(800));
        noChecksum[26] = 0;
        noChecksum[27] = 0;
        Assert.Equal(2, Coalesce(true, TestPackets.Udp(false, TestPackets.Pattern(800)), noChecksum).Writes.Count);
        Assert.Equal(2, Coalesce(true, TestPackets.Udp(false, TestPackets.Pattern(800)), TestPackets.Udp(false, TestPackets.Pattern(100)), TestPackets.Udp(false, TestPackets.Pattern(100))).Writes.Count);
    }

    [Fact]
    public void Packets_carrying_offload_metadata_are_not_merged()
    {
        Packet a = TestPackets.AsPacket(TestPackets.Tcp(Segment(0)));
        Packet b = TestPackets.AsPacket(TestPackets.Tcp(Segment(1)));
        b.Gso.NeedsChecksum = true;
        var sink = new RecordingSink();
        new GroCoalescer(4).Coalesce([a, b], sink);
        Assert.Equal(2, sink.Writes.Count);
    }

    [Fact]
    public void Segment_count_limit_is_respected()
    {
        var coalescer = new GroCoalescer(capacity: 16, maxSegments: 3);
        var sink = new RecordingSink();
        coalescer.Coalesce(Enumerable.Range(0, 7).Select(i => TestPackets.AsPacket(TestPackets.Tcp(Segment(i)))).ToArray(), sink);
        Assert.Equal([3, 3, 1], sink.Writes.Select(w => w.Fragments).ToArray());
    }

    [Fact]
    public void Full_coalescer_refuses_until_flushed_and_coalesce_flushes_when_full()
    {
        var coalescer = new GroCoalescer(capacity: 2);
        Packet p = TestPackets.AsPacket(TestPackets.Tcp(Segment(0)));
        Assert.True(coalescer.TryAdd(p));
        Assert.True(coalescer.TryAdd(TestPackets.AsPacket(TestPackets.Tcp(Segment(1)))));
        Assert.False(coalescer.TryAdd(p));
        var sink = new RecordingSink();
        coalescer.Flush(sink);
        Assert.Single(sink.Writes);

        sink = new RecordingSink();
        coalescer.Coalesce(Enumerable.Range(0, 5).Select(i => TestPackets.AsPacket(TestPackets.Tcp(Segment(i)))).ToArray(), sink);
        Assert.Equal([2, 2, 1], sink.Writes.Select(w => w.Fragments).ToArray());
    }

    [Fact]
    public void Refused_writes_are_counted_per_packet()
    {
        var sink = new RecordingSink { Result = DropReason.QueueFull };
        var drops = new DropTally();
        new GroCoalescer(8).Coalesce([TestPackets.AsPacket(TestPackets.Tcp(Segment(0))), TestPackets.AsPacket(TestPackets.Tcp(Segment(1))), TestPackets.AsPacket([1])], sink, drops);
        Assert.Equal(3, drops[DropReason.QueueFull]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Coalescing_a_steady_batch_allocates_nothing(bool udp)
    {
        // UDP: 64 small datagrams of one flow (the rate search's 64-byte packets), one USO superpacket.
        var coalescer = new GroCoalescer(64, coalesceUdp: udp);
        Packet[] batch = udp
            ? Enumerable.Range(0, 64).Select(i => TestPackets.AsPacket(TestPackets.Udp(false, TestPackets.Pattern(36, i), id: (ushort)i))).ToArray()
            : Enumerable.Range(0, 44).Select(i => TestPackets.AsPacket(TestPackets.Tcp(Segment(i)))).ToArray();
        var sink = new CountingSink();
        coalescer.Coalesce(batch, sink);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            coalescer.Coalesce(batch, sink);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(101, sink.SuperPackets);
    }

    private sealed class CountingSink : IGsoSink
    {
        public int SuperPackets { get; private set; }

        public DropReason Write(in Packet packet) => DropReason.None;

        public DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso)
        {
            SuperPackets++;
            return DropReason.None;
        }
    }

    private sealed class SliceCheckingSink(Packet[] batch) : IGsoSink
    {
        public int SuperPackets { get; private set; }

        public DropReason Write(in Packet packet) => DropReason.None;

        public DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso)
        {
            SuperPackets++;
            for (int i = 0; i < payloads.Length; i++)
            {
                Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(payloads[i], out ArraySegment<byte> segment));
                Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray<byte>(batch[i].Buffer, out ArraySegment<byte> original));
                Assert.Same(original.Array, segment.Array);
                Assert.Equal(batch[i].Offset + 40, segment.Offset);
            }

            return DropReason.None;
        }
    }
}
