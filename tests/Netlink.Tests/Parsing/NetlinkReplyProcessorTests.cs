using RouterHost.Netlink.Tests.Support;
using static RouterHost.Netlink.Tests.Support.ReplyBuilder;

namespace RouterHost.Netlink.Tests.Parsing;

public sealed class NetlinkReplyProcessorTests
{
    private static ReplyStatus Process(byte[] datagram, uint sequence, List<LinkInfo> links, out int errno, out string? text, out bool interrupted)
    {
        interrupted = false;
        return NetlinkReplyProcessor.ProcessDatagram(
            datagram, sequence, RTM_NEWLINK, RtnetlinkDecoder.DecodeLink, links, ref interrupted, out errno, out text);
    }

    [Fact]
    public void An_ack_with_our_sequence_completes_the_exchange()
    {
        var links = new List<LinkInfo>();

        var status = Process(new ReplyBuilder().Message(NLMSG_ERROR, NLM_F_CAPPED, 9, Error(0, echoedSequence: 9)).Build(), 9, links, out var errno, out _, out _);

        Assert.Equal(ReplyStatus.Done, status);
        Assert.Equal(0, errno);
    }

    [Fact]
    public void A_reply_followed_by_its_ack_yields_the_record()
    {
        var datagram = new ReplyBuilder()
            .Message(RTM_NEWLINK, 0, 9, LinkPayload(3, "d0"))
            .Message(NLMSG_ERROR, NLM_F_CAPPED, 9, Error(0))
            .Build();
        var links = new List<LinkInfo>();

        Assert.Equal(ReplyStatus.Done, Process(datagram, 9, links, out _, out _, out _));
        Assert.Equal("d0", Assert.Single(links).Name);
    }

    [Fact]
    public void Messages_of_other_sequence_numbers_are_ignored()
    {
        var datagram = new ReplyBuilder()
            .Message(RTM_NEWLINK, 0, 8, LinkPayload(3, "stale"))
            .Message(NLMSG_ERROR, NLM_F_CAPPED, 8, Error(-17))
            .Message(RTM_NEWLINK, 0, 0, LinkPayload(4, "notify"))
            .Build();
        var links = new List<LinkInfo>();

        Assert.Equal(ReplyStatus.Continue, Process(datagram, 9, links, out var errno, out _, out _));
        Assert.Empty(links);
        Assert.Equal(0, errno);
    }

    [Fact]
    public void A_negative_error_is_reported_as_errno_with_the_kernels_text()
    {
        var datagram = new ReplyBuilder()
            .Message(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 9, Concat(Error(-17), Attr(1, Str("Address already assigned"))))
            .Build();

        var status = Process(datagram, 9, [], out var errno, out var text, out _);

        Assert.Equal(ReplyStatus.KernelError, status);
        Assert.Equal(17, errno);
        Assert.Equal("Address already assigned", text);
    }

    [Fact]
    public void A_multipart_dump_spans_datagrams_until_NLMSG_DONE()
    {
        var links = new List<LinkInfo>();
        var first = new ReplyBuilder()
            .Message(RTM_NEWLINK, NLM_F_MULTI, 9, LinkPayload(1, "lo"))
            .Message(RTM_NEWLINK, NLM_F_MULTI, 9, LinkPayload(2, "d0"))
            .Build();
        var second = new ReplyBuilder()
            .Message(RTM_NEWLINK, NLM_F_MULTI | NLM_F_DUMP_INTR, 9, LinkPayload(3, "d1"))
            .Message(NLMSG_DONE, NLM_F_MULTI, 9, I32(0))
            .Build();

        Assert.Equal(ReplyStatus.Continue, Process(first, 9, links, out _, out _, out var interruptedFirst));
        Assert.Equal(ReplyStatus.Done, Process(second, 9, links, out _, out _, out var interruptedSecond));

        Assert.Equal(["lo", "d0", "d1"], links.Select(l => l.Name));
        Assert.False(interruptedFirst);
        Assert.True(interruptedSecond);
    }

    [Fact]
    public void Overrun_is_reported_as_lost_data()
    {
        var datagram = new ReplyBuilder().Message(NLMSG_OVERRUN, 0, 9, []).Build();

        var error = Assert.Throws<MalformedNetlinkMessageException>(() => Process(datagram, 9, [], out _, out _, out _));

        Assert.Contains("NLMSG_OVERRUN", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_messages_of_other_sequences_still_fail_since_boundaries_cannot_be_trusted()
    {
        var datagram = new ReplyBuilder().Message(RTM_NEWLINK, 0, 8, LinkPayload(), lengthOverride: 8).Build();

        Assert.Throws<MalformedNetlinkMessageException>(() => Process(datagram, 9, [], out _, out _, out _));
    }
}
