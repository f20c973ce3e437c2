namespace RouterHost.Netlink;

/// <summary>
/// A reply from the kernel did not parse: a length field that points outside the buffer, a header or
/// attribute cut short, an attribute of the wrong size. <see cref="Offset"/> is the byte offset of the
/// offending field within the datagram that was being parsed.
/// </summary>
public sealed class MalformedNetlinkMessageException : NetlinkException
{
    /// <summary>Creates the exception for a problem found at <paramref name="offset"/>.</summary>
    public MalformedNetlinkMessageException(string problem, int offset, string operation = "parsing a netlink reply")
        : base(operation, $"malformed netlink message at offset {offset}: {problem}")
    {
        Problem = problem;
        Offset = offset;
    }

    /// <summary>Required by the exception conventions.</summary>
    public MalformedNetlinkMessageException()
        : this("unknown problem", 0)
    {
    }

    /// <summary>Required by the exception conventions.</summary>
    public MalformedNetlinkMessageException(string message)
        : this(message, 0)
    {
    }

    /// <summary>Required by the exception conventions.</summary>
    public MalformedNetlinkMessageException(string message, Exception innerException)
        : base("parsing a netlink reply", message, innerException)
    {
        Problem = message;
    }

    /// <summary>What is wrong, e.g. "nlmsg_len 4 is smaller than the 16-byte header".</summary>
    public string Problem { get; }

    /// <summary>Byte offset within the datagram of the field that is wrong.</summary>
    public int Offset { get; }

    /// <summary>The same problem, reported as part of a named operation.</summary>
    internal MalformedNetlinkMessageException WithOperation(string operation) => new(Problem, Offset, operation);
}
