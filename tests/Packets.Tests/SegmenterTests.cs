using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public class SegmenterTests
{
    private static GsoInfo TcpGso(bool ipv6, int mss, int headerLength) => new()
    {
        Type = ipv6 ? GsoType.TcpV6 : GsoType.TcpV4,
        SegmentSize = (ushort)mss,
        HeaderLength = (ushort)headerLength,
        ChecksumStart = (ushort)(ipv6 ? 40 : 20),
        ChecksumOffset = 16,
        NeedsChecksum = true,
    };

    private static Memory<byte>[] Buffers(int count, int size = 2000)
    {
        var buffers = new Memory<byte>[count];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = new byte[size];
        }

        return buffers;
    }

    private static byte[][] Run(byte[] superpacket, GsoInfo gso)
    {
        Memory<byte>[] buffers = Buffers(64);
        int[] lengths = new int[64];
        Assert.Equal(DropReason.None, Segmenter.Segment(superpacket, gso, buffers, lengths, out int count));
        Assert.Equal(count, Segmenter.SegmentCount(superpacket, gso));
        byte[][] segments = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            segments[i] = buffers[i].Span[..lengths[i]].ToArray();
        }

        return segments;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tcp_superpacket_splits_into_mss_sized_segments_with_correct_headers(bool ipv6)
    {
        byte[] payload = TestPackets.Pattern(3500, seed: 1);
        byte[] super = TestPackets.Tcp(new TestPackets.TcpSpec
        {
            IPv6 = ipv6, Payload = payload, Sequence = 0xFFFFFF00, Id = 0xFFFE,
            Flags = TcpFlags.Ack | TcpFlags.Psh | TcpFlags.Fin | TcpFlags.Cwr, Options = [1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8],
        });
        int ip = ipv6 ? 40 : 20;
        // The superpacket's checksum field holds the NEEDS_CSUM partial; the segmenter must not depend on it.
        BinaryPrimitives.WriteUInt16BigEndian(super.AsSpan(ip + 16), TestPackets.ScalarPseudo(super, IpProtocol.Tcp, super.Length - ip));

        byte[][] segments = Run(super, TcpGso(ipv6, 1400, ip + 32));
        Assert.Equal(3, segments.Length);
        int[] sizes = [1400, 1400, 700];
        for (int i = 0; i < 3; i++)
        {
            byte[] s = segments[i];
            Assert.Equal(ip + 32 + sizes[i], s.Length);
            Assert.True(TestPackets.ChecksumsValid(s), $"segment {i} checksums");
            Assert.Equal(DropReason.None, PacketParser.Parse(s, out PacketLayout layout));
            Assert.Equal(s.Length, layout.PacketLength);
            Assert.Equal(payload.AsSpan(i * 1400, sizes[i]).ToArray(), s.AsSpan(ip + 32).ToArray());
            Assert.Equal(unchecked(0xFFFFFF00u + (uint)(i * 1400)), BinaryPrimitives.ReadUInt32BigEndian(s.AsSpan(ip + 4)));
            TcpFlags flags = (TcpFlags)s[ip + 13];
            Assert.Equal(i == 0, flags.HasFlag(TcpFlags.Cwr));
            Assert.Equal(i == 2, flags.HasFlag(TcpFlags.Psh));
            Assert.Equal(i == 2, flags.HasFlag(TcpFlags.Fin));
            Assert.True(flags.HasFlag(TcpFlags.Ack));
            Assert.Equal(super.AsSpan(ip + 20, 12).ToArray(), s.AsSpan(ip + 20, 12).ToArray());
            if (!ipv6)
            {
                Assert.Equal((ushort)(0xFFFE + i), BinaryPrimitives.ReadUInt16BigEndian(s.AsSpan(4)));
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Udp_superpacket_splits_into_datagrams_with_own_length_and_checksum(bool ipv6)
    {
        byte[] payload = TestPackets.Pattern(2500, seed: 9);
        byte[] super = TestPackets.Udp(ipv6, payload);
        int ip = ipv6 ? 40 : 20;
        var gso = new GsoInfo { Type = GsoType.UdpL4, SegmentSize = 1000, HeaderLength = (ushort)(ip + 8), ChecksumStart = (ushort)ip, ChecksumOffset = 6, NeedsChecksum = true };
        byte[][] segments = Run(super, gso);
        Assert.Equal(3, segments.Length);
        for (int i = 0; i < 3; i++)
        {
            int size = i < 2 ? 1000 : 500;
            Assert.Equal(8 + size, BinaryPrimitives.ReadUInt16BigEndian(segments[i].AsSpan(ip + 4)));
            Assert.True(TestPackets.ChecksumsValid(segments[i]));
            Assert.Equal(payload.AsSpan(i * 1000, size).ToArray(), segments[i].AsSpan(ip + 8).ToArray());
        }
    }

    [Fact]
    public void Payload_that_fits_one_segment_yields_one_segment()
    {
        byte[] super = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(100), Flags = TcpFlags.Ack | TcpFlags.Psh });
        byte[][] segments = Run(super, TcpGso(false, 1400, 40));
        Assert.Single(segments);
        Assert.Equal(super, segments[0]);
    }

    [Fact]
    public void Refusals_name_the_problem_and_write_nothing()
    {
        byte[] super = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(3000) });
        GsoInfo gso = TcpGso(false, 1000, 40);
        int[] lengths = new int[8];
        Assert.Equal(PacketDropReasons.GsoNotSuperpacket, Segmenter.Segment(super, default, Buffers(8), lengths, out _));
        Assert.Equal(PacketDropReasons.VirtioZeroGsoSize, Segmenter.Segment(super, gso with { SegmentSize = 0 }, Buffers(8), lengths, out _));
        Assert.Equal(PacketDropReasons.GsoHeaderMismatch, Segmenter.Segment(super, gso with { Type = GsoType.TcpV6 }, Buffers(8), lengths, out _));
        Assert.Equal(PacketDropReasons.GsoHeaderMismatch, Segmenter.Segment(super, gso with { HeaderLength = 44 }, Buffers(8), lengths, out _));
        Assert.Equal(PacketDropReasons.GsoTooManySegments, Segmenter.Segment(super, gso, Buffers(2), lengths, out _));
        Assert.Equal(PacketDropReasons.GsoTooManySegments, Segmenter.Segment(super, gso, Buffers(8), new int[2], out _));
        Memory<byte>[] small = Buffers(3);
        small[2] = new byte[1039];
        Assert.Equal(PacketDropReasons.GsoDestinationTooSmall, Segmenter.Segment(super, gso, small, lengths, out int count));
        Assert.Equal(0, count);
        Assert.All(small[..2], b => Assert.True(b.Span.IndexOfAnyExcept((byte)0) < 0));
        Assert.Equal(PacketDropReasons.GsoEmptyPayload, Segmenter.Segment(TestPackets.Tcp(new TestPackets.TcpSpec()), gso, Buffers(8), lengths, out _));
        Assert.Equal(PacketDropReasons.Ipv4BadTotalLength, Segmenter.Segment(super[..100], gso, Buffers(8), lengths, out _));
        Assert.Equal(0, Segmenter.SegmentCount(super[..100], gso));

        byte[] routed = PacketParserTests.WithExtensions(TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = true, Payload = TestPackets.Pattern(3000) }), (IpProtocol.Routing, 24));
        Assert.Equal(PacketDropReasons.GsoUnsupportedExtensionHeader, Segmenter.Segment(routed, TcpGso(true, 1000, 0), Buffers(8), lengths, out _));
    }

    [Fact]
    public void Ipv6_superpacket_with_destination_options_keeps_them_in_every_segment()
    {
        byte[] super = PacketParserTests.WithExtensions(TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = true, Payload = TestPackets.Pattern(2000) }), (IpProtocol.DestinationOptions, 8));
        byte[][] segments = Run(super, TcpGso(true, 1000, 0));
        Assert.Equal(2, segments.Length);
        foreach (byte[] s in segments)
        {
            Assert.Equal(IpProtocol.DestinationOptions, s[6]);
            Assert.Equal(DropReason.None, PacketParser.Parse(s, out PacketLayout layout));
            Assert.Equal(48, layout.TransportOffset);
            ReadOnlySpan<byte> l4 = s.AsSpan(48);
            Assert.True(InternetChecksum.Verifies(l4, PseudoHeaderChecksum.ForPacket(s, IpProtocol.Tcp, l4.Length)));
        }
    }
}
