using static RouterHost.Netlink.Tests.Support.ReplyBuilder;

namespace RouterHost.Netlink.Tests.Parsing;

public sealed class NetlinkRequestWriterTests
{
    [Fact]
    public void A_request_is_header_fixed_struct_and_padded_attributes_with_nlmsg_len_filled_in()
    {
        var writer = new NetlinkRequestWriter();
        writer.Begin(18, 0x05, 77);
        writer.AddFixedHeader(16)[4] = 7;
        writer.AddString(3, "tun0");
        writer.AddUInt32(4, 1400);

        var bytes = writer.Finish().ToArray();

        var expected = Concat(
            U32(16 + 16 + 12 + 8), U16(18), U16(0x05), U32(77), U32(0),
            [0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            Attr(3, Str("tun0")),
            Attr(4, U32(1400)));
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void The_buffer_is_reused_and_grows_for_a_large_request()
    {
        var writer = new NetlinkRequestWriter();
        writer.Begin(16, 0, 1);
        writer.AddAttribute(99, new byte[2000]);
        Assert.Equal(16 + 2004, writer.Finish().Length);

        writer.Begin(16, 0, 2);

        Assert.Equal(16, writer.Finish().Length);
    }

    [Fact]
    public void The_written_request_parses_back()
    {
        var writer = new NetlinkRequestWriter();
        writer.Begin(16, 0, 1);
        writer.AddFixedHeader(16)[4] = 9;
        writer.AddString(3, "veth-peer0");

        var link = Assert.IsType<LinkInfo>(Assert.Single(NetlinkReplyProcessor.DecodeAll(writer.Finish())));

        Assert.Equal((9, "veth-peer0"), (link.Index, link.Name));
    }
}
