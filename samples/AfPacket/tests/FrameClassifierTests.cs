using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Packets;
using static RouterHost.Samples.AfPacket.Interop.PacketSocketAbi;

namespace RouterHost.Samples.AfPacket.Tests;

public sealed class FrameClassifierTests
{
    private const int Mtu = 1500;
    private static readonly LocalAddresses s_local = new([0x0A010001], [UInt128.One]);

    private static FrameKind Classify(byte[] frame, byte[]? vnet, out int ipLength, out GsoInfo gso, out DropReason drop, byte packetType = PACKET_HOST, uint status = TP_STATUS_USER) =>
        FrameClassifier.Classify(frame, vnet ?? [], packetType, status, Mtu, s_local, out ipLength, out gso, out drop);

    [Fact]
    public void An_IPv4_packet_to_the_device_is_for_the_router_without_its_Ethernet_padding()
    {
        byte[] frame = Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(40), padding: 6);

        Assert.Equal(FrameKind.Ip, Classify(frame, Frames.Vnet(), out int length, out GsoInfo gso, out _));
        Assert.Equal(40, length);
        Assert.False(gso.IsSuperpacket);
        Assert.False(gso.NeedsChecksum);
    }

    [Fact]
    public void An_IPv6_packet_to_the_device_is_for_the_router()
    {
        Assert.Equal(FrameKind.Ip, Classify(Frames.Frame(Ethernet.TypeIPv6, Frames.Ipv6(60)), null, out int length, out _, out _));
        Assert.Equal(60, length);
    }

    [Theory]
    [InlineData(PACKET_BROADCAST, TP_STATUS_USER)]
    [InlineData(PACKET_MULTICAST, TP_STATUS_USER)]
    [InlineData(PACKET_OTHERHOST, TP_STATUS_USER)]
    [InlineData(PACKET_HOST, TP_STATUS_USER | TP_STATUS_VLAN_VALID)]
    public void Broadcast_multicast_other_hosts_and_VLAN_frames_are_left_to_the_kernel(byte packetType, uint status)
    {
        byte[] frame = Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(40));
        Assert.Equal(FrameKind.ForHost, Classify(frame, null, out _, out _, out _, packetType, status));
    }

    [Fact]
    public void Packets_to_the_kernels_own_addresses_and_other_ethertypes_are_left_to_it()
    {
        Assert.Equal(FrameKind.ForHost, Classify(Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(40, destination: 0x0A010001)), null, out _, out _, out _));
        Assert.Equal(FrameKind.ForHost, Classify(Frames.Frame(0x88CC, new byte[46]), null, out _, out _, out _));
    }

    [Fact]
    public void ARP_is_classified_whatever_its_packet_type()
    {
        Assert.Equal(FrameKind.Arp, Classify(Frames.Frame(Ethernet.TypeArp, new byte[28]), null, out _, out _, out _, PACKET_BROADCAST));
    }

    [Fact]
    public void A_runt_is_dropped()
    {
        Assert.Equal(FrameKind.Dropped, Classify(new byte[13], null, out _, out _, out DropReason drop));
        Assert.Equal(AfPacketDropReasons.Runt, drop);
    }

    public static TheoryData<byte[]> BadIpFrames()
    {
        byte[] versionMismatch = Frames.Ipv4(40);
        versionMismatch[0] = 0x65;
        byte[] shortIhl = Frames.Ipv4(40);
        shortIhl[0] = 0x44;
        byte[] longerThanFrame = Frames.Ipv4(40);
        longerThanFrame[3] = 41;
        byte[] shorterThanHeader = Frames.Ipv4(40);
        shorterThanHeader[2] = 0;
        shorterThanHeader[3] = 19;
        byte[] v6Payload = Frames.Ipv6(60);
        v6Payload[5] = 21;
        return new TheoryData<byte[]>
        {
            Frames.Frame(Ethernet.TypeIPv4, versionMismatch),
            Frames.Frame(Ethernet.TypeIPv4, shortIhl),
            Frames.Frame(Ethernet.TypeIPv4, longerThanFrame),
            Frames.Frame(Ethernet.TypeIPv4, shorterThanHeader),
            Frames.Frame(Ethernet.TypeIPv4, new byte[19]),
            Frames.Frame(Ethernet.TypeIPv6, v6Payload),
            Frames.Frame(Ethernet.TypeIPv6, Frames.Ipv4(40)),
        };
    }

    [Theory]
    [MemberData(nameof(BadIpFrames))]
    public void Malformed_IP_headers_are_dropped_as_bad_ip(byte[] frame)
    {
        Assert.Equal(FrameKind.Dropped, Classify(frame, null, out _, out _, out DropReason drop));
        Assert.Equal(AfPacketDropReasons.BadIp, drop);
    }

    [Fact]
    public void A_GRO_superframe_with_its_virtio_header_becomes_a_TCP_superpacket()
    {
        byte[] frame = Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(20 + 20 + (1448 * 10)));
        byte[] vnet = Frames.Vnet(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, 1448, checksumStart: 14 + 20, checksumOffset: 16);

        Assert.Equal(FrameKind.Ip, Classify(frame, vnet, out int length, out GsoInfo gso, out _));
        Assert.Equal(20 + 20 + 14480, length);
        Assert.Equal(GsoType.TcpV4, gso.Type);
        Assert.Equal(1448, gso.SegmentSize);
        Assert.Equal(40, gso.HeaderLength);
        Assert.Equal(20, gso.ChecksumStart);
        Assert.Equal(16, gso.ChecksumOffset);
        Assert.True(gso.NeedsChecksum);
    }

    public static TheoryData<byte[], byte[]> BadOffloads() => new()
    {
        // csum_start inside the Ethernet header
        { Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(60)), Frames.Vnet(VirtioNetHeader.FlagNeedsChecksum, checksumStart: 10, checksumOffset: 16) },
        // csum_start past the packet
        { Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(60)), Frames.Vnet(VirtioNetHeader.FlagNeedsChecksum, checksumStart: 200, checksumOffset: 16) },
        // TCPv6 GSO on an IPv4 packet
        { Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(3000)), Frames.Vnet(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV6, 1448, 34, 16) },
        // GSO without a segment size
        { Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(3000)), Frames.Vnet(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4, 0, 34, 16) },
        // UFO, which the router does not carry
        { Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(3000, IpProtocol.Udp)), Frames.Vnet(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoUdp, 1400, 34, 6) },
    };

    [Theory]
    [MemberData(nameof(BadOffloads))]
    public void Virtio_headers_that_disagree_with_the_packet_are_dropped(byte[] frame, byte[] vnet)
    {
        Assert.Equal(FrameKind.Dropped, Classify(frame, vnet, out _, out _, out DropReason drop));
        Assert.Equal(AfPacketDropReasons.BadOffload, drop);
    }

    [Fact]
    public void A_frame_over_the_MTU_without_GSO_is_dropped_as_oversize()
    {
        Assert.Equal(FrameKind.Dropped, Classify(Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(Mtu + 1)), Frames.Vnet(), out _, out _, out DropReason drop));
        Assert.Equal(AfPacketDropReasons.OversizeFrame, drop);
    }

    [Fact]
    public void Without_offloads_a_partial_checksum_is_marked_for_finishing()
    {
        byte[] frame = Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(28, IpProtocol.Udp));

        Assert.Equal(FrameKind.Ip, Classify(frame, null, out _, out GsoInfo gso, out _, status: TP_STATUS_USER | TP_STATUS_CSUMNOTREADY));
        Assert.True(gso.NeedsChecksum);
        Assert.Equal(20, gso.ChecksumStart);
        Assert.Equal(6, gso.ChecksumOffset);
    }

    [Fact]
    public void Without_offloads_a_GRO_TCP_frame_is_cut_again_at_segments_that_fit_the_MTU()
    {
        byte[] frame = Frames.Frame(Ethernet.TypeIPv6, Frames.Ipv6(40 + 20 + 9000));

        Assert.Equal(FrameKind.Ip, Classify(frame, null, out _, out GsoInfo gso, out _, status: TP_STATUS_USER | TP_STATUS_CSUMNOTREADY));
        Assert.Equal(GsoType.TcpV6, gso.Type);
        Assert.Equal(60, gso.HeaderLength);
        Assert.Equal(Mtu - 60, gso.SegmentSize);
    }

    [Fact]
    public void Without_offloads_an_oversize_UDP_frame_or_one_with_a_final_checksum_is_dropped()
    {
        Assert.Equal(FrameKind.Dropped, Classify(Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(4000, IpProtocol.Udp)), null, out _, out _, out DropReason udp, status: TP_STATUS_USER | TP_STATUS_CSUMNOTREADY));
        Assert.Equal(FrameKind.Dropped, Classify(Frames.Frame(Ethernet.TypeIPv4, Frames.Ipv4(4000)), null, out _, out _, out DropReason final));
        Assert.Equal(AfPacketDropReasons.OversizeFrame, udp);
        Assert.Equal(AfPacketDropReasons.OversizeFrame, final);
    }

    [Fact]
    public void Any_bytes_classify_without_throwing_and_an_accepted_packet_lies_in_its_frame()
    {
        Gen<byte[]> bytes = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));
        Gen<(byte[] Frame, byte[] Vnet, byte Type, uint Status, bool Offloads)> input =
            from frame in Gen.OneOf(bytes, bytes.Select(Seeded))
            from vnet in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), VirtioNetHeader.Length)
            from type in Gen.Choose(0, 7)
            from status in Gen.Choose(0, 0xFF)
            from offloads in ArbMap.Default.GeneratorFor<bool>()
            select (frame, vnet, (byte)type, (uint)status, offloads);

        Prop.ForAll(input.ToArbitrary(), t =>
        {
            FrameKind kind = FrameClassifier.Classify(t.Frame, t.Offloads ? t.Vnet : [], t.Type, t.Status, Mtu, s_local, out int length, out GsoInfo gso, out DropReason drop);
            return kind switch
            {
                FrameKind.Ip => length >= 20 && length <= t.Frame.Length - Ethernet.HeaderLength
                    && (!gso.NeedsChecksum || gso.ChecksumStart + gso.ChecksumOffset + 2 <= length)
                    && (!gso.IsSuperpacket || (gso.SegmentSize > 0 && gso.HeaderLength < length))
                    && (gso.IsSuperpacket || length <= Mtu),
                FrameKind.Dropped => !drop.IsNone,
                _ => drop.IsNone,
            };
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Random bytes behind a plausible Ethernet + IP header, so the property reaches the deeper checks.</summary>
    private static byte[] Seeded(byte[] tail)
    {
        bool v6 = tail.Length > 0 && (tail[0] & 1) != 0;
        byte[] ip = v6 ? Frames.Ipv6(60 + tail.Length) : Frames.Ipv4(40 + tail.Length, tail.Length > 1 && (tail[1] & 1) != 0 ? IpProtocol.Udp : IpProtocol.Tcp);
        tail.CopyTo(ip, v6 ? 60 : 40);
        return Frames.Frame(v6 ? Ethernet.TypeIPv6 : Ethernet.TypeIPv4, ip);
    }
}
