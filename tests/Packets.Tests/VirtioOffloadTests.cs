using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public class VirtioOffloadTests
{
    private static byte[] Header(byte flags, byte gsoType, ushort hdrLen, ushort gsoSize, ushort csumStart, ushort csumOffset)
    {
        byte[] bytes = new byte[VirtioNetHeader.Length];
        Assert.True(new VirtioNetHeader(flags, gsoType, hdrLen, gsoSize, csumStart, csumOffset).TryWrite(bytes));
        return bytes;
    }

    private static byte[] Superpacket(bool ipv6, int payload = 4000) =>
        TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = ipv6, Payload = TestPackets.Pattern(payload), Options = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2] });

    [Fact]
    public void Header_fields_are_little_endian_in_kernel_order()
    {
        byte[] bytes = Header(1, 0x81, 0x0102, 0x0304, 0x0506, 0x0708);
        Assert.Equal(Convert.FromHexString("01810201040306050807"), bytes);
        Assert.True(VirtioNetHeader.TryRead(bytes, out VirtioNetHeader header));
        Assert.Equal(new VirtioNetHeader(1, 0x81, 0x0102, 0x0304, 0x0506, 0x0708), header);
        Assert.False(VirtioNetHeader.TryRead(bytes.AsSpan(0, 9), out _));
        Assert.False(header.TryWrite(new byte[9]));
    }

    [Theory]
    [InlineData(false, VirtioNetHeader.GsoTcpV4, GsoType.TcpV4)]
    [InlineData(true, VirtioNetHeader.GsoTcpV6, GsoType.TcpV6)]
    public void Tcp_superpacket_decodes_with_header_length_rederived(bool ipv6, byte virtioType, GsoType expected)
    {
        byte[] packet = Superpacket(ipv6);
        int ipLength = ipv6 ? 40 : 20;
        // hdr_len lies (the kernel may report the whole first packet); the decoder must not care.
        byte[] header = Header(VirtioNetHeader.FlagNeedsChecksum, virtioType, 1234, 1400, (ushort)ipLength, 16);
        Assert.Equal(DropReason.None, VirtioOffload.Decode(header, packet, out GsoInfo gso));
        Assert.Equal(expected, gso.Type);
        Assert.Equal(1400, gso.SegmentSize);
        Assert.Equal(ipLength + 32, gso.HeaderLength);
        Assert.Equal(ipLength, gso.ChecksumStart);
        Assert.Equal(16, gso.ChecksumOffset);
        Assert.True(gso.NeedsChecksum);
        Assert.False(gso.Ecn);
    }

    [Fact]
    public void Udp_l4_superpacket_decodes_for_both_ip_versions()
    {
        foreach (bool ipv6 in new[] { false, true })
        {
            byte[] packet = TestPackets.Udp(ipv6, TestPackets.Pattern(3000));
            int ipLength = ipv6 ? 40 : 20;
            Assert.Equal(DropReason.None, VirtioOffload.Decode(Header(1, VirtioNetHeader.GsoUdpL4, 0, 1200, (ushort)ipLength, 6), packet, out GsoInfo gso));
            Assert.Equal(GsoType.UdpL4, gso.Type);
            Assert.Equal(ipLength + 8, gso.HeaderLength);
        }
    }

    [Fact]
    public void Ecn_flag_is_carried_for_tcp()
    {
        Assert.Equal(DropReason.None, VirtioOffload.Decode(Header(1, VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn, 0, 1400, 20, 16), Superpacket(false), out GsoInfo gso));
        Assert.True(gso.Ecn);
    }

    public static TheoryData<string, string, string, string> BadHeaders()
    {
        var data = new TheoryData<string, string, string, string>();
        void Add(string name, byte[] header, byte[] packet, DropReason reason) =>
            data.Add(name, Convert.ToHexString(header), Convert.ToHexString(packet), reason.Name);

        byte[] v4 = Superpacket(false);
        byte[] v6 = Superpacket(true);
        byte[] udp4 = TestPackets.Udp(false, TestPackets.Pattern(3000));
        Add("header of 9 bytes", new byte[9], v4, PacketDropReasons.VirtioTruncated);
        Add("ufo", Header(1, VirtioNetHeader.GsoUdp, 0, 1400, 20, 6), udp4, PacketDropReasons.VirtioUnsupportedGsoType);
        Add("unknown type", Header(1, 2, 0, 1400, 20, 16), v4, PacketDropReasons.VirtioUnsupportedGsoType);
        Add("ecn without gso", Header(0, VirtioNetHeader.GsoEcn, 0, 0, 0, 0), v4, PacketDropReasons.VirtioUnsupportedGsoType);
        Add("ecn with udp", Header(1, VirtioNetHeader.GsoUdpL4 | VirtioNetHeader.GsoEcn, 0, 1400, 20, 6), udp4, PacketDropReasons.VirtioUnsupportedGsoType);
        Add("gso size zero", Header(1, VirtioNetHeader.GsoTcpV4, 0, 0, 20, 16), v4, PacketDropReasons.VirtioZeroGsoSize);
        Add("tcpv4 on ipv6", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 40, 16), v6, PacketDropReasons.VirtioGsoTypeMismatch);
        Add("tcpv6 on ipv4", Header(1, VirtioNetHeader.GsoTcpV6, 0, 1400, 20, 16), v4, PacketDropReasons.VirtioGsoTypeMismatch);
        Add("tcp on udp", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 20, 16), udp4, PacketDropReasons.VirtioGsoTypeMismatch);
        Add("udp on tcp", Header(1, VirtioNetHeader.GsoUdpL4, 0, 1400, 20, 6), v4, PacketDropReasons.VirtioGsoTypeMismatch);
        Add("csum start inside ip header", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 10, 16), v4, PacketDropReasons.VirtioBadChecksumStart);
        Add("csum start past packet", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 60000, 16), v4, PacketDropReasons.VirtioBadChecksumStart);
        Add("csum offset not tcp checksum", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 20, 6), v4, PacketDropReasons.VirtioBadChecksumOffset);
        Add("bad ip under gso", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 20, 16), v4[..30], PacketDropReasons.Ipv4BadTotalLength);
        Add("gso without payload", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 20, 16), TestPackets.Tcp(new TestPackets.TcpSpec()), PacketDropReasons.GsoEmptyPayload);
        byte[] fragment = (byte[])v4.Clone();
        fragment[6] = 0x20;
        Ipv4Header.WriteChecksum(fragment);
        Add("gso fragment", Header(1, VirtioNetHeader.GsoTcpV4, 0, 1400, 20, 16), fragment, PacketDropReasons.VirtioGsoFragment);
        Add("no gso csum start past end", Header(1, 0, 0, 0, (ushort)v4.Length, 0), v4, PacketDropReasons.VirtioBadChecksumStart);
        Add("no gso csum field past end", Header(1, 0, 0, 0, 20, (ushort)(v4.Length - 21)), v4, PacketDropReasons.VirtioBadChecksumOffset);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void Untrustworthy_header_is_refused_with_its_reason(string name, string header, string packet, string reason)
    {
        DropReason actual = VirtioOffload.Decode(Convert.FromHexString(header), Convert.FromHexString(packet), out GsoInfo gso);
        Assert.True(reason == actual.Name, $"{name}: expected {reason}, got {actual.Name}");
        Assert.Equal(default, gso.Type);
    }

    [Fact]
    public void Needs_csum_packet_is_completed_in_place()
    {
        foreach (bool ipv6 in new[] { false, true })
        {
            byte[] packet = TestPackets.Tcp(new TestPackets.TcpSpec { IPv6 = ipv6, Payload = TestPackets.Pattern(333) });
            int l4 = ipv6 ? 40 : 20;
            // What the kernel hands over: the field holds the pseudo-header sum, not inverted.
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(l4 + 16), TestPackets.ScalarPseudo(packet, IpProtocol.Tcp, packet.Length - l4));
            Assert.Equal(DropReason.None, VirtioOffload.Decode(Header(1, 0, 0, 0, (ushort)l4, 16), packet, out GsoInfo gso));
            Assert.Equal(DropReason.None, VirtioOffload.CompleteChecksum(packet, ref gso));
            Assert.False(gso.NeedsChecksum);
            Assert.True(TestPackets.ChecksumsValid(packet));
        }
    }

    [Fact]
    public void Completing_a_udp_checksum_of_zero_writes_all_ones()
    {
        // Search for a payload whose checksum computes to 0, then check it is sent as 0xFFFF.
        for (int b = 0; b < 65536; b++)
        {
            byte[] packet = TestPackets.Udp(false, [(byte)(b >> 8), (byte)b]);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(26), TestPackets.ScalarPseudo(packet, IpProtocol.Udp, 10));
            if (InternetChecksum.Compute(packet.AsSpan(20)) != 0)
            {
                continue;
            }

            GsoInfo gso = new() { NeedsChecksum = true, ChecksumStart = 20, ChecksumOffset = 6 };
            Assert.Equal(DropReason.None, VirtioOffload.CompleteChecksum(packet, ref gso));
            Assert.Equal(0xFFFF, BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(26)));
            return;
        }

        Assert.Fail("no payload gave a zero checksum");
    }

    [Fact]
    public void Completing_out_of_bounds_fields_is_refused()
    {
        byte[] packet = new byte[30];
        GsoInfo gso = new() { NeedsChecksum = true, ChecksumStart = 29, ChecksumOffset = 0 };
        Assert.Equal(PacketDropReasons.VirtioBadChecksumOffset, VirtioOffload.CompleteChecksum(packet, ref gso));
        gso.ChecksumStart = 30;
        Assert.Equal(PacketDropReasons.VirtioBadChecksumStart, VirtioOffload.CompleteChecksum(packet, ref gso));
        GsoInfo none = default;
        Assert.Equal(DropReason.None, VirtioOffload.CompleteChecksum(packet, ref none));
    }

    [Fact]
    public void Encode_then_decode_round_trips()
    {
        foreach (bool ipv6 in new[] { false, true })
        {
            byte[] packet = Superpacket(ipv6);
            int l4 = ipv6 ? 40 : 20;
            GsoInfo original = new()
            {
                Type = ipv6 ? GsoType.TcpV6 : GsoType.TcpV4, SegmentSize = 1400, HeaderLength = (ushort)(l4 + 32),
                ChecksumStart = (ushort)l4, ChecksumOffset = 16, NeedsChecksum = true, Ecn = true,
            };
            byte[] header = new byte[VirtioNetHeader.Length];
            Assert.True(VirtioOffload.TryEncode(original, header));
            Assert.Equal(DropReason.None, VirtioOffload.Decode(header, packet, out GsoInfo decoded));
            Assert.Equal(original, decoded);
        }
    }

    [Fact]
    public void Encoding_refuses_what_the_kernel_could_not_take()
    {
        byte[] header = new byte[VirtioNetHeader.Length];
        Assert.False(VirtioOffload.TryEncode(new GsoInfo { Type = GsoType.TcpV4, SegmentSize = 0, NeedsChecksum = true }, header));
        Assert.False(VirtioOffload.TryEncode(new GsoInfo { Type = GsoType.TcpV4, SegmentSize = 1400, NeedsChecksum = false }, header));
        Assert.False(VirtioOffload.TryEncode(new GsoInfo { Type = GsoType.UdpL4, SegmentSize = 1400, NeedsChecksum = true, Ecn = true }, header));
        Assert.False(VirtioOffload.TryEncode(new GsoInfo { Type = (GsoType)9, SegmentSize = 1400, NeedsChecksum = true }, header));
        Assert.False(VirtioOffload.TryEncode(default, new byte[9]));
        Assert.True(VirtioOffload.TryEncode(default, header));
        Assert.Equal(new byte[10], header);
    }

    [Fact]
    public void Random_and_truncated_headers_and_packets_never_throw_and_give_a_reason()
    {
        Gen<byte[]> packets = Gen.OneOf(ArbMap.Default.GeneratorFor<byte[]>(), PacketParserTests.MutatedValidPackets());
        Gen<byte[]> headers =
            from flags in Gen.Elements<byte>(0, 1, 2, 3, 0xFF)
            from type in Gen.Elements<byte>(0, 1, 3, 4, 5, 0x81, 0x84, 0x85, 0x80, 7)
            from hdrLen in Gen.Choose(0, 0xFFFF)
            from gsoSize in Gen.Elements(0, 1, 536, 1400, 0xFFFF)
            from csumStart in Gen.Elements(0, 20, 40, 60, 0xFFFF)
            from csumOffset in Gen.Elements(0, 6, 16, 0xFFFF)
            from cut in Gen.Choose(0, 12)
            select Header(flags, type, (ushort)hdrLen, (ushort)gsoSize, (ushort)csumStart, (ushort)csumOffset)[..Math.Min(cut, 10)];
        Prop.ForAll(headers.ToArbitrary(), packets.ToArbitrary(), (header, packet) =>
        {
            DropReason reason = VirtioOffload.Decode(header, packet, out GsoInfo gso);
            if (!reason.IsNone)
            {
                return reason.Name.StartsWith("packet.", StringComparison.Ordinal);
            }

            // Accepted metadata is usable: checksum fields in bounds, and a superpacket segments or says why not.
            if (gso.NeedsChecksum && gso.ChecksumStart + gso.ChecksumOffset + 2 > packet.Length)
            {
                return false;
            }

            byte[] copy = (byte[])packet.Clone();
            GsoInfo completed = gso;
            _ = gso.IsSuperpacket ? Segmenter.SegmentCount(packet, gso) : 0;
            return gso.IsSuperpacket || VirtioOffload.CompleteChecksum(copy, ref completed).IsNone;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }
}
