using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

public sealed class IcmpEchoReplyBuilderTests
{
    private static byte[] EchoRequest(bool ipv6, byte[] body, byte[]? source = null)
    {
        byte[] packet = TestPackets.Icmp(ipv6, ipv6 ? (byte)128 : (byte)8, 0, body);
        int icmp = ipv6 ? 40 : 20;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(icmp + 4), 0x1234); // identifier
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(icmp + 6), 7);      // sequence
        if (source is not null)
        {
            source.CopyTo(packet, ipv6 ? 8 : 12);
            if (!ipv6)
            {
                packet[10] = 0;
                packet[11] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Compute(packet.AsSpan(0, 20)));
            }
        }

        TestPackets.FixL4Checksum(packet, icmp, ipv6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp, 2);
        return packet;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_reply_goes_from_the_pinged_address_to_the_sender_with_the_request_s_identifier_sequence_and_data(bool ipv6)
    {
        byte[] request = EchoRequest(ipv6, TestPackets.Pattern(56, seed: 3));
        Assert.Equal(DropReason.None, PacketParser.Parse(request, out PacketLayout layout));
        Assert.True(IcmpEchoReplyBuilder.IsEchoRequest(request, layout));
        var reply = new byte[IcmpEchoReplyBuilder.ReplyLength(layout)];

        Assert.Equal(DropReason.None, IcmpEchoReplyBuilder.Build(request, layout, reply, out int written));

        Assert.Equal(reply.Length, written);
        int icmp = ipv6 ? 40 : 20;
        Assert.Equal(ipv6 ? TestPackets.DestinationV6 : TestPackets.DestinationV4, reply.AsSpan(ipv6 ? 8 : 12, ipv6 ? 16 : 4).ToArray());
        Assert.Equal(ipv6 ? TestPackets.SourceV6 : TestPackets.SourceV4, reply.AsSpan(ipv6 ? 24 : 16, ipv6 ? 16 : 4).ToArray());
        Assert.Equal(ipv6 ? 129 : 0, reply[icmp]);
        Assert.Equal(0, reply[icmp + 1]);
        Assert.Equal(request.AsSpan(icmp + 4).ToArray(), reply.AsSpan(icmp + 4).ToArray());
        Assert.True(TestPackets.ChecksumsValid(reply));
        Assert.Equal(64, reply[ipv6 ? 7 : 8]);
    }

    [Fact]
    public void A_request_with_IPv4_options_is_answered_with_a_plain_header()
    {
        byte[] request = TestPackets.Icmp(false, 8, 0, TestPackets.Pattern(16));
        byte[] withOptions = new byte[request.Length + 4];
        request.AsSpan(0, 20).CopyTo(withOptions);
        withOptions[0] = 0x46;
        withOptions[20] = 7; // record route, 4 bytes
        withOptions[21] = 4;
        withOptions[22] = 4;
        request.AsSpan(20).CopyTo(withOptions.AsSpan(24));
        BinaryPrimitives.WriteUInt16BigEndian(withOptions.AsSpan(2), (ushort)withOptions.Length);
        withOptions[10] = 0;
        withOptions[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(withOptions.AsSpan(10), InternetChecksum.Compute(withOptions.AsSpan(0, 24)));
        Assert.Equal(DropReason.None, PacketParser.Parse(withOptions, out PacketLayout layout));
        var reply = new byte[IcmpEchoReplyBuilder.ReplyLength(layout)];

        Assert.Equal(DropReason.None, IcmpEchoReplyBuilder.Build(withOptions, layout, reply, out int written));

        Assert.Equal(request.Length, written);
        Assert.Equal(0x45, reply[0]);
        Assert.True(TestPackets.ChecksumsValid(reply));
    }

    [Theory]
    [InlineData(false, new byte[] { 224, 0, 0, 1 })]
    [InlineData(false, new byte[] { 255, 255, 255, 255 })]
    [InlineData(false, new byte[] { 0, 0, 0, 0 })]
    [InlineData(true, new byte[] { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 })]
    public void A_request_from_a_multicast_broadcast_or_unspecified_source_is_not_answered(bool ipv6, byte[] source)
    {
        byte[] request = EchoRequest(ipv6, [1, 2, 3, 4], source);
        Assert.Equal(DropReason.None, PacketParser.Parse(request, out PacketLayout layout));
        var reply = new byte[IcmpEchoReplyBuilder.ReplyLength(layout)];

        Assert.Equal(IcmpEchoReplyBuilder.FromSpecialAddress, IcmpEchoReplyBuilder.Build(request, layout, reply, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Only_whole_echo_requests_with_code_0_are_echo_requests()
    {
        byte[] reply = TestPackets.Icmp(false, 0, 0, [1, 2, 3, 4]);
        byte[] badCode = TestPackets.Icmp(false, 8, 1, [1, 2, 3, 4]);
        byte[] udp = TestPackets.Udp(false, [8, 0, 0, 0]);
        foreach (byte[] packet in new[] { reply, badCode, udp })
        {
            Assert.Equal(DropReason.None, PacketParser.Parse(packet, out PacketLayout layout));
            Assert.False(IcmpEchoReplyBuilder.IsEchoRequest(packet, layout));
        }
    }

    [Fact]
    public void A_destination_too_small_is_no_room()
    {
        byte[] request = EchoRequest(false, [1, 2, 3, 4]);
        Assert.Equal(DropReason.None, PacketParser.Parse(request, out PacketLayout layout));
        Assert.Equal(IcmpErrorBuilder.NoRoom, IcmpEchoReplyBuilder.Build(request, layout, new byte[10], out _));
    }
}
