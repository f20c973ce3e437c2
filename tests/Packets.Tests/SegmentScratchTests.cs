using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

/// <summary>
/// The one segmentation path for an egress without GSO (the runner's interface queues, the WireGuard stage's sends):
/// segments land in slots of a scratch with the room asked for around them, stay there until reset, and a
/// superpacket that cannot be segmented is refused with a reason (the caller counts it as a drop).
/// </summary>
public class SegmentScratchTests
{
    private static Packet Superpacket(byte[] bytes, GsoInfo gso)
    {
        Packet p = TestPackets.AsPacket(bytes, headroom: 32);
        p.Gso = gso;
        p.Egress = PortId.Interface(3);
        p.Mark = 7;
        return p;
    }

    private static GsoInfo Tcp(bool ipv6, int mss) => new()
    {
        Type = ipv6 ? GsoType.TcpV6 : GsoType.TcpV4,
        SegmentSize = (ushort)mss,
        HeaderLength = (ushort)((ipv6 ? 40 : 20) + 20),
        ChecksumStart = (ushort)(ipv6 ? 40 : 20),
        ChecksumOffset = 16,
        NeedsChecksum = true,
    };

    private static GsoInfo Udp(bool ipv6, int size) => new()
    {
        Type = GsoType.UdpL4,
        SegmentSize = (ushort)size,
        HeaderLength = (ushort)((ipv6 ? 40 : 20) + 8),
        ChecksumStart = (ushort)(ipv6 ? 40 : 20),
        ChecksumOffset = 6,
        NeedsChecksum = true,
    };

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_superpacket_becomes_segments_with_the_room_asked_for_valid_checksums_and_a_short_last_one(bool ipv6, bool udp)
    {
        byte[] payload = TestPackets.Pattern(2500, seed: 3);
        byte[] bytes = udp ? TestPackets.Udp(ipv6, payload) : TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = ipv6, Payload = payload, Flags = TcpFlags.Ack | TcpFlags.Psh });
        int headers = (ipv6 ? 40 : 20) + (udp ? 8 : 20);
        Packet super = Superpacket(bytes, udp ? Udp(ipv6, 1000) : Tcp(ipv6, 1000));
        var scratch = new SegmentScratch(1 << 16);

        Assert.Equal(DropReason.None, scratch.Plan(in super, headroom: 16, tailroom: 32));
        Assert.True(scratch.PlanFits);
        Assert.Equal(DropReason.None, scratch.Write(in super));
        Assert.Equal(3, scratch.Count);
        Assert.True(scratch.Used > 0);
        int[] sizes = [1000, 1000, 500];
        for (int i = 0; i < scratch.Count; i++)
        {
            Packet segment = scratch.SegmentAt(in super, i);
            Assert.Equal(16, segment.Headroom);
            Assert.True(segment.Tailroom >= 32);
            Assert.False(segment.Gso.IsSuperpacket);
            Assert.Equal(super.Egress, segment.Egress);
            Assert.Equal(super.Mark, segment.Mark);
            byte[] s = segment.Data.ToArray();
            Assert.Equal(headers + sizes[i], s.Length);
            Assert.True(TestPackets.ChecksumsValid(s), $"segment {i} checksums");
            Assert.Equal(payload.AsSpan(i * 1000, sizes[i]).ToArray(), s.AsSpan(headers).ToArray());
        }
    }

    [Fact]
    public void Segments_stay_until_reset_and_a_full_scratch_says_so_before_writing()
    {
        byte[] bytes = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(3000) });
        Packet super = Superpacket(bytes, Tcp(false, 1000));
        var scratch = new SegmentScratch(4096);

        Assert.Equal(DropReason.None, scratch.Plan(in super, 64, 64));
        Assert.Equal(DropReason.None, scratch.Write(in super));
        byte[] first = scratch.SegmentAt(in super, 0).Data.ToArray();

        Assert.Equal(DropReason.None, scratch.Plan(in super, 64, 64));
        Assert.False(scratch.PlanFits);
        Assert.Equal(DropReason.TooLarge, scratch.Write(in super));
        Assert.Equal(first, scratch.SegmentAt(in super, 0).Data.ToArray());

        scratch.Reset();
        Assert.Equal(0, scratch.Used);
        Assert.Equal(DropReason.None, scratch.Plan(in super, 64, 64));
        Assert.True(scratch.PlanFits);
        Assert.Equal(DropReason.None, scratch.Write(in super));
        Assert.Equal(3, scratch.Count);
    }

    [Fact]
    public void A_superpacket_larger_than_the_whole_scratch_is_too_large()
    {
        byte[] bytes = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(3000) });
        Packet super = Superpacket(bytes, Tcp(false, 1000));
        Assert.Equal(DropReason.TooLarge, new SegmentScratch(2048).Plan(in super, 64, 64));
        Assert.Equal(DropReason.TooLarge, new SegmentScratch(1 << 16, maxSegments: 2).Plan(in super, 64, 64));
    }

    [Fact]
    public void Malformed_gso_info_or_headers_are_refused_with_the_reason_and_nothing_is_held()
    {
        byte[] bytes = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(3000) });
        GsoInfo gso = Tcp(false, 1000);
        var scratch = new SegmentScratch(1 << 16);
        Assert.Equal(PacketDropReasons.VirtioZeroGsoSize, scratch.Plan(Superpacket(bytes, gso with { SegmentSize = 0 }), 64, 64));
        Assert.Equal(PacketDropReasons.GsoHeaderMismatch, scratch.Plan(Superpacket(bytes, gso with { Type = GsoType.TcpV6 }), 64, 64));
        Assert.Equal(PacketDropReasons.GsoHeaderMismatch, scratch.Plan(Superpacket(bytes, gso with { HeaderLength = 44 }), 64, 64));
        Assert.Equal(PacketDropReasons.GsoEmptyPayload, scratch.Plan(Superpacket(TestPackets.Tcp(new TestPackets.TcpSpec()), gso), 64, 64));

        byte[] truncated = bytes[..100];
        Assert.Equal(PacketDropReasons.Ipv4BadTotalLength, scratch.Plan(Superpacket(truncated, gso), 64, 64));
        Assert.Equal(DropReason.TooLarge, scratch.Write(Superpacket(truncated, gso)));
        Assert.Equal(0, scratch.Used);
        Assert.Equal(0, scratch.Count);
    }

    [Fact]
    public void A_superpacket_whose_gso_info_leaves_the_header_length_out_is_segmented_by_its_own_headers()
    {
        byte[] bytes = TestPackets.Udp(false, TestPackets.Pattern(1500));
        Packet super = Superpacket(bytes, Udp(false, 1000) with { HeaderLength = 0 });
        var scratch = new SegmentScratch(1 << 16);
        Assert.Equal(DropReason.None, scratch.Plan(in super, 0, 0));
        Assert.Equal(DropReason.None, scratch.Write(in super));
        Assert.Equal(2, scratch.Count);
        Assert.Equal(28 + 500, BinaryPrimitives.ReadUInt16BigEndian(scratch.SegmentAt(in super, 1).Data[2..]));
    }
}
