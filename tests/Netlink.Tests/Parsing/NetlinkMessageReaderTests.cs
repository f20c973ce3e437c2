using RouterHost.Netlink.Tests.Support;
using static RouterHost.Netlink.Tests.Support.ReplyBuilder;

namespace RouterHost.Netlink.Tests.Parsing;

public sealed class NetlinkMessageReaderTests
{
    [Fact]
    public void Reads_every_message_of_a_datagram_with_its_header_fields()
    {
        var datagram = new ReplyBuilder()
            .Message(RTM_NEWLINK, NLM_F_MULTI, 5, LinkPayload(1, "lo"))
            .Message(RTM_NEWLINK, NLM_F_MULTI, 5, LinkPayload(2, "d0"))
            .Message(NLMSG_DONE, NLM_F_MULTI, 5, I32(0))
            .Build();

        var seen = new List<(ushort Type, ushort Flags, uint Seq, int Offset, int PayloadLength)>();
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var message))
        {
            seen.Add((message.Type, message.Flags, message.Sequence, message.Offset, message.Payload.Length));
        }

        Assert.Equal(3, seen.Count);
        Assert.All(seen, m => Assert.Equal(5u, m.Seq));
        Assert.Equal(0, seen[0].Offset);
        Assert.Equal(LinkPayload(1, "lo").Length, seen[0].PayloadLength);
        Assert.Equal((ushort)NLMSG_DONE, seen[2].Type);
        Assert.Equal(4, seen[2].PayloadLength);
    }

    [Fact]
    public void An_empty_datagram_has_no_messages()
    {
        var reader = new NetlinkMessageReader([]);
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void An_unpadded_last_message_is_accepted()
    {
        var datagram = new ReplyBuilder().Message(99, 0, 1, [1, 2, 3], pad: false).Build();
        Assert.Equal(19, datagram.Length);

        var decoded = NetlinkReplyProcessor.DecodeAll(datagram);

        Assert.Equal([(ushort)99], decoded);
    }

    [Fact]
    public void A_truncated_header_is_reported_with_its_offset()
    {
        var datagram = new ReplyBuilder().Message(NLMSG_DONE, 0, 1, I32(0)).Raw(1, 0, 0, 0, 3, 0, 0, 0).Build();

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(20, error.Offset);
        Assert.Contains("truncated nlmsghdr: 8 bytes remain", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_datagram_shorter_than_a_header_is_a_truncated_header()
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll([20, 0, 0, 0, 3, 0]));

        Assert.Equal(0, error.Offset);
        Assert.Contains("truncated nlmsghdr", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(4u)]
    [InlineData(15u)]
    public void An_nlmsg_len_smaller_than_the_header_is_rejected(uint length)
    {
        var datagram = new ReplyBuilder().Message(NLMSG_DONE, 0, 1, I32(0), lengthOverride: length).Build();

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(0, error.Offset);
        Assert.Equal($"nlmsg_len {length} is smaller than the 16-byte header", error.Problem);
    }

    [Theory]
    [InlineData(21u)]
    [InlineData(4096u)]
    [InlineData(uint.MaxValue)]
    public void An_nlmsg_len_larger_than_the_datagram_is_rejected(uint length)
    {
        var datagram = new ReplyBuilder()
            .Message(NLMSG_NOOP, 0, 1, [])
            .Message(NLMSG_DONE, 0, 1, I32(0), lengthOverride: length)
            .Build();

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(16, error.Offset);
        Assert.Contains($"nlmsg_len {length} runs past the end of the datagram (20 of 36 bytes remain)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unaligned_nlmsg_len_followed_by_more_data_is_misaligned()
    {
        // 18-byte message with no padding, then a second message at offset 18.
        var datagram = new ReplyBuilder()
            .Message(99, 0, 1, [1, 2], pad: false)
            .Message(NLMSG_DONE, 0, 1, I32(0))
            .Build();

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll(datagram));

        Assert.Equal(0, error.Offset);
        Assert.Contains("nlmsg_len 18 is not a multiple of 4 but more data follows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_error_names_the_operation_it_was_part_of()
    {
        var error = Assert.Throws<MalformedNetlinkMessageException>(() => NetlinkReplyProcessor.DecodeAll([1, 2, 3]));

        Assert.StartsWith("parsing a netlink reply failed: malformed netlink message at offset 0: truncated nlmsghdr", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, error.Errno);
    }
}
