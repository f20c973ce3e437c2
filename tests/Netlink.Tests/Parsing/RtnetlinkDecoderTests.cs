using System.Net;
using System.Net.Sockets;
using RouterHost.Netlink.Tests.Support;
using static RouterHost.Netlink.Tests.Support.ReplyBuilder;

namespace RouterHost.Netlink.Tests.Parsing;

public sealed class RtnetlinkDecoderTests
{
    private static object DecodeOne(ushort type, byte[] payload, ushort flags = 0) =>
        Assert.Single(NetlinkReplyProcessor.DecodeAll(new ReplyBuilder().Message(type, flags, 1, payload).Build()));

    [Fact]
    public void A_link_message_decodes_name_index_mtu_flags_and_mac()
    {
        var link = Assert.IsType<LinkInfo>(DecodeOne(RTM_NEWLINK, LinkPayload(7, "tun0", 1420, 0x10041)));

        Assert.Equal(7, link.Index);
        Assert.Equal("tun0", link.Name);
        Assert.Equal(1420, link.Mtu);
        Assert.True(link.IsUp);
        Assert.True(link.IsRunning);
        Assert.True(link.IsLowerUp);
        Assert.False(link.IsLoopback);
        Assert.Equal("020000000007", link.HardwareAddress!.ToString());
    }

    [Theory]
    [InlineData(64)]  // the eight counters read
    [InlineData(184)] // 23 counters (kernels before 4.6)
    [InlineData(200)] // 25 counters (6.x: rx_nohandler, rx_otherhost_dropped)
    public void A_link_message_decodes_the_kernel_counters_and_queue_length_whatever_the_stats64_size(int size)
    {
        byte[] stats = new byte[size];
        for (int i = 0; i < size / 8; i++)
        {
            BitConverter.TryWriteBytes(stats.AsSpan(i * 8), (ulong)(1000 + i)); // host order, as netlink carries it
        }

        var link = Assert.IsType<LinkInfo>(DecodeOne(RTM_NEWLINK, Concat(LinkPayload(), Attr(23, stats), Attr(13, U32(500)))));

        Assert.Equal(new LinkStatistics(1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007), link.Statistics);
        Assert.Equal(500u, link.TransmitQueueLength);
    }

    [Fact]
    public void A_link_message_without_counters_has_none()
    {
        var link = Assert.IsType<LinkInfo>(DecodeOne(RTM_NEWLINK, LinkPayload()));

        Assert.Null(link.Statistics);
        Assert.Null(link.TransmitQueueLength);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(63)]
    public void Link_counters_cut_short_are_rejected_by_name_and_offset(int size)
    {
        byte[] payload = LinkPayload();
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWLINK, Concat(payload, Attr(23, new byte[size]))));

        Assert.Equal($"IFLA_STATS64 has a {size}-byte payload, expected at least 64", error.Problem);
        Assert.Equal(16 + payload.Length, error.Offset);
    }

    [Fact]
    public void A_link_with_a_nonpositive_index_is_rejected()
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWLINK, LinkPayload(index: 0)));

        Assert.Equal("link message has ifi_index 0; indexes are positive", error.Problem);
        Assert.Equal(16 + 4, error.Offset);
    }

    [Fact]
    public void An_ipv4_address_message_decodes_local_prefix_label_and_flags()
    {
        var payload = Concat(
            IfAddr(2, 24, 0x80, 0, 7),
            Attr(1, Ip("10.0.0.1")),
            Attr(2, Ip("10.0.0.1")),
            Attr(3, Str("tun0")),
            Attr(8, U32(0x80)));

        var address = Assert.IsType<AddressInfo>(DecodeOne(RTM_NEWADDR, payload));

        Assert.Equal(new AddressInfo(7, IPAddress.Parse("10.0.0.1"), 24, AddressFlags.Permanent, 0, "tun0", null), address);
    }

    [Fact]
    public void An_address_message_reports_who_added_it_from_IFA_PROTO_and_0_without_it()
    {
        var marked = Concat(IfAddr(10, 64, 0, 0, 7), Attr(1, Ip("fd00::1")), Attr(11, [210]));
        var unmarked = Concat(IfAddr(10, 64, 0, 0, 7), Attr(1, Ip("fd00::1")));

        Assert.Equal(RtProtocol.RouterHost, Assert.IsType<AddressInfo>(DecodeOne(RTM_NEWADDR, marked)).Protocol);
        Assert.Equal(0, Assert.IsType<AddressInfo>(DecodeOne(RTM_NEWADDR, unmarked)).Protocol);
    }

    [Fact]
    public void An_empty_IFA_PROTO_is_malformed()
    {
        var payload = Concat(IfAddr(10, 64, 0, 0, 7), Attr(1, Ip("fd00::1")), Attr(11, []));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWADDR, payload));

        Assert.Contains("IFA_PROTO", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_point_to_point_address_reports_its_peer()
    {
        var payload = Concat(IfAddr(2, 32, 0, 0, 7), Attr(1, Ip("10.0.0.2")), Attr(2, Ip("10.0.0.1")));

        var address = Assert.IsType<AddressInfo>(DecodeOne(RTM_NEWADDR, payload));

        Assert.Equal(IPAddress.Parse("10.0.0.1"), address.Address);
        Assert.Equal(IPAddress.Parse("10.0.0.2"), address.PeerAddress);
    }

    [Fact]
    public void An_ipv6_address_takes_IFA_FLAGS_over_the_8_bit_field()
    {
        var payload = Concat(IfAddr(10, 64, 0x02, 0, 3), Attr(1, Ip("2001:db8::1")), Attr(8, U32(0x282)));

        var address = Assert.IsType<AddressInfo>(DecodeOne(RTM_NEWADDR, payload));

        Assert.Equal(IPAddress.Parse("2001:db8::1"), address.Address);
        Assert.Equal(AddressFlags.NoDad | AddressFlags.Permanent | AddressFlags.NoPrefixRoute, address.Flags);
        Assert.Null(address.Label);
    }

    [Fact]
    public void An_address_of_the_wrong_size_for_its_family_is_rejected()
    {
        var payload = Concat(IfAddr(2, 24, 0, 0, 7), Attr(2, Ip("2001:db8::1")));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWADDR, payload));

        Assert.Equal("IFA_LOCAL has a 16-byte payload, expected 4", error.Problem);
    }

    [Fact]
    public void A_prefix_length_beyond_the_family_is_rejected()
    {
        var payload = Concat(IfAddr(2, 33, 0, 0, 7), Attr(2, Ip("10.0.0.1")));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWADDR, payload));

        Assert.Equal("ifa_prefixlen 33 exceeds 32 for InterNetwork", error.Problem);
    }

    [Fact]
    public void An_address_of_another_family_is_skipped()
    {
        var datagram = new ReplyBuilder().Message(RTM_NEWADDR, 0, 1, Concat(IfAddr(17, 0, 0, 0, 7), Attr(1, [1, 2]))).Build();

        Assert.Empty(NetlinkReplyProcessor.DecodeAll(datagram));
    }

    [Fact]
    public void A_route_message_decodes_destination_gateway_interface_metric_and_table()
    {
        var payload = Concat(
            RtMsg(2, 24, 254, 4, 0, 1),
            Attr(15, U32(254)),
            Attr(1, Ip("198.51.100.0")),
            Attr(6, U32(50)),
            Attr(5, Ip("192.0.2.254")),
            Attr(4, U32(7)));

        var route = Assert.IsType<RouteInfo>(DecodeOne(RTM_NEWROUTE, payload));

        Assert.Equal(
            new RouteInfo(AddressFamily.InterNetwork, IPAddress.Parse("198.51.100.0"), 24, IPAddress.Parse("192.0.2.254"), 7, 50, 254, 4, 0, 1, null),
            route);
    }

    [Fact]
    public void A_default_route_without_RTA_DST_has_the_unspecified_destination_and_RTA_TABLE_wins()
    {
        var payload = Concat(RtMsg(10, 0, 0, 3, 0, 1), Attr(15, U32(1000)), Attr(5, Ip("2001:db8::fe")));

        var route = Assert.IsType<RouteInfo>(DecodeOne(RTM_NEWROUTE, payload));

        Assert.Equal(IPAddress.IPv6Any, route.Destination);
        Assert.Equal(0, route.PrefixLength);
        Assert.Equal(1000, route.Table);
        Assert.Null(route.OutputInterfaceIndex);
        Assert.Null(route.Metric);
    }

    [Fact]
    public void A_neighbour_message_decodes_state_and_mac()
    {
        var payload = Concat(NdMsg(2, 4, 0x02, 0), Attr(1, Ip("192.0.2.2")), Attr(2, [2, 0, 0, 0, 0, 2]));

        var neighbour = Assert.IsType<NeighbourInfo>(DecodeOne(RTM_NEWNEIGH, payload));

        Assert.Equal(4, neighbour.InterfaceIndex);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), neighbour.Address);
        Assert.Equal(NeighbourState.Reachable, neighbour.State);
        Assert.Equal("020000000002", neighbour.LinkLayerAddress!.ToString());
        Assert.True(neighbour.IsResolved);
    }

    [Fact]
    public void An_incomplete_neighbour_is_not_resolved()
    {
        var payload = Concat(NdMsg(10, 4, 0x01, 0), Attr(1, Ip("2001:db8::2")));

        var neighbour = Assert.IsType<NeighbourInfo>(DecodeOne(RTM_NEWNEIGH, payload));

        Assert.Null(neighbour.LinkLayerAddress);
        Assert.False(neighbour.IsResolved);
    }

    [Fact]
    public void A_neighbour_without_NDA_DST_is_rejected()
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWNEIGH, NdMsg(2, 4, 2, 0)));

        Assert.Equal("neighbour message carries no NDA_DST", error.Problem);
    }

    [Fact]
    public void An_oversized_link_layer_address_is_rejected()
    {
        var payload = Concat(NdMsg(2, 4, 2, 0), Attr(1, Ip("192.0.2.2")), Attr(2, new byte[33]));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWNEIGH, payload));

        Assert.Equal("NDA_LLADDR is 33 bytes, longer than any link-layer address (32)", error.Problem);
    }

    [Fact]
    public void An_error_message_decodes_zero_as_ack_and_negative_as_errno()
    {
        Assert.Equal((0, (string?)null), DecodeOne(NLMSG_ERROR, Error(0)));
        Assert.Equal((-17, (string?)null), DecodeOne(NLMSG_ERROR, Error(-17)));
    }

    [Fact]
    public void An_error_message_carries_the_kernels_extended_ack_text_when_capped()
    {
        var payload = Concat(Error(-22), Attr(1, Str("Invalid prefix for given prefix length")), Attr(2, U32(20)));

        var decoded = DecodeOne(NLMSG_ERROR, payload, NLM_F_CAPPED | NLM_F_ACK_TLVS);

        Assert.Equal((-22, (string?)"Invalid prefix for given prefix length"), decoded);
    }

    [Fact]
    public void An_uncapped_error_skips_the_echoed_request_before_its_extended_ack()
    {
        // Echoed request of 24 bytes: header + 8 payload bytes, then the TLVs.
        var payload = Concat(Error(-19, echoedLength: 24), new byte[8], Attr(1, Str("no such device")));

        var decoded = DecodeOne(NLMSG_ERROR, payload, NLM_F_ACK_TLVS);

        Assert.Equal((-19, (string?)"no such device"), decoded);
    }

    [Fact]
    public void An_error_echoing_a_request_longer_than_itself_is_rejected()
    {
        var payload = Concat(Error(-19, echoedLength: 400), Attr(1, Str("x")));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(NLMSG_ERROR, payload, NLM_F_ACK_TLVS));

        Assert.Equal("NLMSG_ERROR echoes a request whose nlmsg_len 400 does not fit its 24 bytes", error.Problem);
        Assert.Equal(16 + 4, error.Offset);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(19)]
    public void A_truncated_error_message_is_rejected(int payloadLength)
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(NLMSG_ERROR, Error(-1)[..payloadLength]));

        Assert.Equal($"NLMSG_ERROR is truncated: {payloadLength} payload bytes, struct nlmsgerr needs 20", error.Problem);
        Assert.Equal(0, error.Offset);
    }

    [Fact]
    public void An_error_message_with_a_positive_error_is_rejected()
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(NLMSG_ERROR, Error(17)));

        Assert.Equal("NLMSG_ERROR carries a positive error 17; errors are negative", error.Problem);
    }

    [Fact]
    public void A_done_message_may_be_empty_or_carry_an_error()
    {
        Assert.Equal((0, (string?)null), DecodeOne(NLMSG_DONE, []));
        Assert.Equal((-16, (string?)"busy"), DecodeOne(NLMSG_DONE, Concat(I32(-16), Attr(1, Str("busy"))), NLM_F_ACK_TLVS));
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(NLMSG_DONE, [1, 2]));
        Assert.Equal("NLMSG_DONE payload is 2 bytes; its error code needs 4", error.Problem);
    }

    [Fact]
    public void A_rule_message_decodes_priority_table_mark_inversion_suppression_and_protocol()
    {
        // ip rule add not fwmark 51820 table 51820 proto 210, as the kernel lists it (FRA_TABLE past 255, FRA_FWMASK).
        var payload = Concat(RuleHdr(2, 0, 1, 0x2), Attr(15, U32(51820)), Attr(6, U32(32765)), Attr(10, U32(51820)), Attr(16, U32(0xffffffff)), Attr(21, [210]));

        var rule = Assert.IsType<RuleInfo>(DecodeOne(RTM_NEWRULE, payload));

        Assert.Equal(new RuleInfo(AddressFamily.InterNetwork, 32765, 51820, 1, true, 51820u, 0xffffffffu, null, 210, false), rule);
    }

    [Fact]
    public void A_rule_reports_suppress_prefixlength_and_minus_one_means_none()
    {
        var suppressing = Assert.IsType<RuleInfo>(DecodeOne(RTM_NEWRULE, Concat(RuleHdr(10, 254, 1, 0), Attr(14, U32(0)), Attr(6, U32(32764)))));
        var plain = Assert.IsType<RuleInfo>(DecodeOne(RTM_NEWRULE, Concat(RuleHdr(10, 254, 1, 0), Attr(14, U32(0xffffffff)))));

        Assert.Equal(0, suppressing.SuppressPrefixLength);
        Assert.Equal(254, suppressing.Table);
        Assert.Equal(AddressFamily.InterNetworkV6, suppressing.Family);
        Assert.Null(plain.SuppressPrefixLength);
        Assert.Null(plain.Priority);
    }

    [Fact]
    public void A_rule_with_selectors_says_so()
    {
        var bySource = Assert.IsType<RuleInfo>(DecodeOne(RTM_NEWRULE, Concat(RuleHdr(2, 254, 1, 0, srcLen: 24), Attr(2, Ip("192.0.2.0")))));
        var byInterface = Assert.IsType<RuleInfo>(DecodeOne(RTM_NEWRULE, Concat(RuleHdr(2, 254, 1, 0), Attr(3, Str("eth0")))));

        Assert.True(bySource.HasSelectors);
        Assert.True(byInterface.HasSelectors);
    }

    [Fact]
    public void A_rule_header_cut_short_is_rejected()
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWRULE, [2, 0, 0, 0, 254, 0, 0, 1]));

        Assert.Equal("message type 32 has 8 payload bytes, shorter than its 12-byte struct fib_rule_hdr", error.Problem);
    }

    [Theory]
    [InlineData(6, "FRA_PRIORITY")]
    [InlineData(10, "FRA_FWMARK")]
    [InlineData(14, "FRA_SUPPRESS_PREFIXLEN")]
    [InlineData(15, "FRA_TABLE")]
    public void A_rule_attribute_of_the_wrong_size_is_rejected_by_name(ushort type, string name)
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWRULE, Concat(RuleHdr(2, 254, 1, 0), Attr(type, [1, 2]))));

        Assert.Equal($"{name} has a 2-byte payload, expected 4", error.Problem);
    }

    [Fact]
    public void An_empty_FRA_PROTOCOL_and_a_source_length_beyond_the_family_are_rejected()
    {
        var empty = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWRULE, Concat(RuleHdr(2, 254, 1, 0), Attr(21, []))));
        var tooLong = Assert.Throws<MalformedNetlinkMessageException>(() => DecodeOne(RTM_NEWRULE, RuleHdr(2, 254, 1, 0, srcLen: 33)));

        Assert.Equal("FRA_PROTOCOL has a 0-byte payload, expected 1", empty.Problem);
        Assert.Equal("fib_rule_hdr.src_len 33 exceeds 32 for InterNetwork", tooLong.Problem);
    }

    [Fact]
    public void A_rule_of_another_family_is_skipped()
    {
        var datagram = new ReplyBuilder().Message(RTM_NEWRULE, 0, 1, Concat(RuleHdr(7, 254, 1, 0), Attr(15, U32(254)))).Build();

        Assert.Empty(NetlinkReplyProcessor.DecodeAll(datagram));
    }
}
