using RouterHost.Netlink.Tests.Support;
using static RouterHost.Netlink.Tests.Support.ReplyBuilder;

namespace RouterHost.Netlink.Tests.Parsing;

public sealed class NetlinkAttributeReaderTests
{
    private const int AttributesOffset = 16 + 16; // nlmsghdr + ifinfomsg

    private static byte[] LinkWith(params byte[][] attributes) =>
        new ReplyBuilder().Message(RTM_NEWLINK, 0, 1, Concat([IfInfo(3, 1), .. attributes]), pad: false).Build();

    [Fact]
    public void Attributes_are_read_with_their_types_and_padding_skipped()
    {
        var link = Assert.IsType<LinkInfo>(Assert.Single(NetlinkReplyProcessor.DecodeAll(LinkWith(
            Attr(3, Str("veth-a")),              // 11 bytes, padded to 12
            Attr(0x8000 | 99, U32(1)),           // nested flag masked off, unknown type skipped
            Attr(4, U32(9000)),
            Attr(1, [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])))));

        Assert.Equal(new LinkInfo(3, "veth-a", 9000, 1, link.HardwareAddress, 1), link);
        Assert.Equal("AABBCCDDEEFF", link.HardwareAddress!.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void An_rta_len_smaller_than_the_attribute_header_is_rejected(ushort length)
    {
        var datagram = LinkWith(Attr(3, Str("a")), Attr(4, U32(1), lengthOverride: length));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(AttributesOffset + 8, error.Offset);
        Assert.Equal($"rta_len {length} (type 4) is smaller than the 4-byte attribute header", error.Problem);
    }

    [Fact]
    public void An_rta_len_past_the_end_of_its_message_is_rejected()
    {
        var datagram = LinkWith(Attr(3, Str("a")), Attr(4, U32(1), lengthOverride: 200));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(AttributesOffset + 8, error.Offset);
        Assert.Equal("rta_len 200 (type 4) runs past the end of its message (8 bytes remain)", error.Problem);
    }

    [Fact]
    public void An_rta_len_past_the_end_of_its_message_is_rejected_even_when_the_datagram_continues()
    {
        // The attribute claims bytes that belong to the next message: bounded by its own message, not the buffer.
        var datagram = new ReplyBuilder()
            .Message(RTM_NEWLINK, 0, 1, Concat(IfInfo(3, 1), Attr(3, Str("a")), Attr(4, U32(1), lengthOverride: 24)))
            .Message(NLMSG_DONE, 0, 1, I32(0))
            .Build();

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Contains("rta_len 24 (type 4) runs past the end of its message", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_attribute_header_is_rejected()
    {
        var datagram = LinkWith(Attr(3, Str("abc")), [8, 0]);

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(AttributesOffset + 8, error.Offset);
        Assert.StartsWith("truncated rtattr header: 2 bytes remain", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Stray_bytes_after_an_unpadded_attribute_are_rejected_as_misaligned()
    {
        // A 5-byte attribute followed by 2 bytes: not its 3 bytes of padding, not the end either.
        var datagram = LinkWith(Attr(3, Str("abc")), Attr(99, [1], pad: false), [0, 0]);

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(AttributesOffset + 8 + 5, error.Offset);
        Assert.Contains("2 stray bytes after the attribute (rta_len 5, type 99)", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void An_attribute_of_the_wrong_size_is_rejected_by_name()
    {
        var datagram = LinkWith(Attr(3, Str("a")), Attr(4, [1, 2]));

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(AttributesOffset + 8, error.Offset);
        Assert.Equal("IFLA_MTU has a 2-byte payload, expected 4", error.Problem);
    }

    [Fact]
    public void A_link_without_a_name_is_rejected()
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(LinkWith(Attr(4, U32(1500)))));

        Assert.Equal("link message for ifindex 3 carries no IFLA_IFNAME", error.Problem);
    }

    [Fact]
    public void A_fixed_header_cut_short_is_rejected()
    {
        var datagram = new ReplyBuilder().Message(RTM_NEWLINK, 0, 1, new byte[12]).Build();

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal("message type 16 has 12 payload bytes, shorter than its 16-byte struct ifinfomsg", error.Problem);
    }
}
