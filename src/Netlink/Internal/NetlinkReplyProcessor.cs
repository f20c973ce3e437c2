using static RouterHost.Netlink.Interop.Netlink;

namespace RouterHost.Netlink;

/// <summary>Turns one message of a reply into a record, or null to skip it.</summary>
internal delegate T? NetlinkMessageDecoder<T>(NetlinkMessage message)
    where T : class;

/// <summary>Where an exchange stands after a datagram has been processed.</summary>
internal enum ReplyStatus
{
    /// <summary>More datagrams belong to this exchange.</summary>
    Continue,

    /// <summary>ACK (NLMSG_ERROR with error 0) or NLMSG_DONE: the exchange is complete.</summary>
    Done,

    /// <summary>NLMSG_ERROR with a negative errno (or NLMSG_DONE with one): the request failed.</summary>
    KernelError,
}

/// <summary>
/// The reply side of one request/response exchange, free of any socket so it can be tested on crafted bytes:
/// messages carrying another sequence number are ignored (late replies to an abandoned request, notifications);
/// NLMSG_ERROR with 0 is the ACK, with a negative number an errno; a dump ends with NLMSG_DONE.
/// </summary>
internal static class NetlinkReplyProcessor
{
    public static ReplyStatus ProcessDatagram<T>(
        ReadOnlySpan<byte> datagram,
        uint sequence,
        ushort replyType,
        NetlinkMessageDecoder<T>? decoder,
        List<T> results,
        ref bool dumpInterrupted,
        out int errno,
        out string? kernelMessage)
        where T : class
    {
        errno = 0;
        kernelMessage = null;
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var message))
        {
            if (message.Sequence != sequence)
            {
                continue;
            }

            switch (message.Type)
            {
                case NLMSG_NOOP:
                    break;
                case NLMSG_ERROR:
                    RtnetlinkDecoder.DecodeError(message, out var error, out kernelMessage);
                    if (error == 0)
                    {
                        return ReplyStatus.Done;
                    }

                    errno = -error;
                    return ReplyStatus.KernelError;
                case NLMSG_DONE:
                    RtnetlinkDecoder.DecodeDone(message, out var doneError, out kernelMessage);
                    if (doneError == 0)
                    {
                        return ReplyStatus.Done;
                    }

                    errno = -doneError;
                    return ReplyStatus.KernelError;
                case NLMSG_OVERRUN:
                    throw new MalformedNetlinkMessageException("the kernel reported NLMSG_OVERRUN: reply data was lost", message.Offset);
                default:
                    if (message.HasFlag(NLM_F_DUMP_INTR))
                    {
                        dumpInterrupted = true;
                    }

                    if (message.Type == replyType && decoder is not null && decoder(message) is { } item)
                    {
                        results.Add(item);
                    }

                    break;
            }
        }

        return ReplyStatus.Continue;
    }

    /// <summary>
    /// Decodes every message of a datagram whatever its sequence number: the whole parser surface in one call
    /// (used by the property tests). Returns the records, (errno, text) tuples for NLMSG_ERROR/NLMSG_DONE,
    /// and the type number of any other message.
    /// </summary>
    public static List<object> DecodeAll(ReadOnlySpan<byte> datagram)
    {
        var decoded = new List<object>();
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out var message))
        {
            object? item = message.Type switch
            {
                RTM_NEWLINK or RTM_DELLINK => RtnetlinkDecoder.DecodeLink(message),
                RTM_NEWADDR or RTM_DELADDR => RtnetlinkDecoder.DecodeAddress(message),
                RTM_NEWROUTE or RTM_DELROUTE => RtnetlinkDecoder.DecodeRoute(message),
                RTM_NEWNEIGH or RTM_DELNEIGH => RtnetlinkDecoder.DecodeNeighbour(message),
                RTM_NEWRULE or RTM_DELRULE => RtnetlinkDecoder.DecodeRule(message),
                NLMSG_ERROR => DecodeErrorTuple(message),
                NLMSG_DONE => DecodeDoneTuple(message),
                _ => message.Type,
            };
            if (item is not null)
            {
                decoded.Add(item);
            }
        }

        return decoded;
    }

    private static (int Error, string? Text) DecodeErrorTuple(NetlinkMessage message)
    {
        RtnetlinkDecoder.DecodeError(message, out var error, out var text);
        return (error, text);
    }

    private static (int Error, string? Text) DecodeDoneTuple(NetlinkMessage message)
    {
        RtnetlinkDecoder.DecodeDone(message, out var error, out var text);
        return (error, text);
    }
}
