using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

/// <summary>Segmenting a superpacket and coalescing the segments again gives back the superpacket.</summary>
public class SegmentCoalesceRoundTripTests
{
    public sealed record Case(bool IPv6, bool Udp, int PayloadLength, int Mss, uint Sequence, ushort Id, bool DontFragment, bool Push, bool Options, int Seed)
    {
        public override string ToString() =>
            $"{(IPv6 ? "v6" : "v4")} {(Udp ? "udp" : "tcp")} payload {PayloadLength} mss {Mss} seq {Sequence} id {Id} df {DontFragment} psh {Push} opts {Options}";
    }

    private static readonly Gen<Case> Cases =
        from ipv6 in ArbMap.Default.GeneratorFor<bool>()
        from udp in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from options in ArbMap.Default.GeneratorFor<bool>()
        from payload in Gen.Frequency((2, Gen.Choose(1, 5000)), (1, Gen.Choose(1, 65535 - 40 - 32)))
        from mss in Gen.Frequency((3, Gen.Choose(500, 9000)), (1, Gen.Choose(1, 500)))
        from sequence in ArbMap.Default.GeneratorFor<uint>()
        from id in Gen.Choose(0, 0xFFFF)
        from df in ArbMap.Default.GeneratorFor<bool>()
        from push in ArbMap.Default.GeneratorFor<bool>()
        from seed in Gen.Choose(0, 255)
        select new Case(ipv6, udp, payload, mss, sequence, (ushort)id, df, push, options, seed);

    [Fact]
    public void Segment_then_coalesce_returns_the_original_superpacket()
    {
        Prop.ForAll(Cases.ToArbitrary(), RoundTrips).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Theory]
    [InlineData(false, false, 64000, 1400)]
    [InlineData(true, false, 63000, 1440)]
    [InlineData(false, true, 30000, 1200)]
    [InlineData(true, true, 1, 1)]
    [InlineData(false, false, 1400, 1400)]
    [InlineData(false, false, 1401, 1400)]
    public void Segment_then_coalesce_examples(bool ipv6, bool udp, int payload, int mss) =>
        Assert.True(RoundTrips(new Case(ipv6, udp, payload, mss, 0xFFFFF000, 0xFFF0, false, true, true, 3)));

    private static bool RoundTrips(Case c)
    {
        int ipLength = c.IPv6 ? 40 : 20;
        int l4HeaderLength = c.Udp ? 8 : (c.Options ? 32 : 20);
        int payloadLength = Math.Min(c.PayloadLength, 65535 - ipLength - l4HeaderLength);
        byte[] payload = TestPackets.Pattern(payloadLength, c.Seed);
        byte[] original = c.Udp
            ? TestPackets.Udp(c.IPv6, payload, id: c.Id, dontFragment: c.DontFragment)
            : TestPackets.Tcp(new TestPackets.TcpSpec
            {
                IPv6 = c.IPv6, Payload = payload, Sequence = c.Sequence, Id = c.Id, DontFragment = c.DontFragment,
                Flags = c.Push ? TcpFlags.Ack | TcpFlags.Psh : TcpFlags.Ack,
                Options = c.Options ? [1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8] : [],
            });
        int headerLength = ipLength + l4HeaderLength;
        var gso = new GsoInfo
        {
            Type = c.Udp ? GsoType.UdpL4 : (c.IPv6 ? GsoType.TcpV6 : GsoType.TcpV4),
            SegmentSize = (ushort)c.Mss,
            HeaderLength = (ushort)headerLength,
            ChecksumStart = (ushort)ipLength,
            ChecksumOffset = (ushort)(c.Udp ? 6 : 16),
            NeedsChecksum = true,
        };

        int count = Segmenter.SegmentCount(original, gso);
        var buffers = new Memory<byte>[count];
        for (int i = 0; i < count; i++)
        {
            buffers[i] = new byte[headerLength + c.Mss];
        }

        int[] lengths = new int[count];
        Assert.Equal(DropReason.None, Segmenter.Segment(original, gso, buffers, lengths, out int produced));
        Assert.Equal(count, produced);
        var packets = new Packet[count];
        for (int i = 0; i < count; i++)
        {
            packets[i] = new Packet { Buffer = buffers[i], Offset = 0, Length = lengths[i] };
            Assert.True(TestPackets.ChecksumsValid(buffers[i].Span[..lengths[i]].ToArray()), $"segment {i} of {c}");
        }

        var coalescer = new GroCoalescer(capacity: Math.Max(1, count), coalesceUdp: c.Udp, maxSegments: Math.Max(1, count));
        var sink = new RecordingSink();
        coalescer.Coalesce(packets, sink);
        var (bytes, outGso, _) = Assert.Single(sink.Writes);

        if (count == 1)
        {
            // A single segment is written as an ordinary packet with its full checksum.
            Assert.Equal(original, bytes);
            return true;
        }

        // The superpacket's header equals the original's with the L4 checksum field holding the pseudo-header sum.
        byte[] expected = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(
            expected.AsSpan(ipLength + gso.ChecksumOffset),
            TestPackets.ScalarPseudo(original, c.Udp ? IpProtocol.Udp : IpProtocol.Tcp, original.Length - ipLength));
        Assert.Equal(expected, bytes);
        Assert.Equal(gso, outGso);
        return true;
    }
}
