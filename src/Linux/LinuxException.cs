namespace RouterHost.Linux;

/// <summary>A system call failed; the message says what was being done and the errno by name.</summary>
public sealed class LinuxException : IOException
{
    public LinuxException(string operation, int errno)
        : base($"{operation} failed: {Errno.Describe(errno)}") => ErrorNumber = errno;

    /// <summary>A system call failed for a reason <paramref name="detail"/> explains (who is in the way, how to fix it).</summary>
    public LinuxException(string operation, int errno, string detail)
        : base($"{operation} failed: {Errno.Describe(errno)}; {detail}") => ErrorNumber = errno;

    public LinuxException()
    {
    }

    public LinuxException(string message)
        : base(message)
    {
    }

    public LinuxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The errno.</summary>
    public int ErrorNumber { get; }

    /// <summary>
    /// The exception for the last errno. Only for a constant <paramref name="operation"/>: building the text first may
    /// run other P/Invokes that replace the last error (formatting an endpoint does); use
    /// <see cref="FromErrno"/> with <see cref="Errno.Last"/> as its first argument for text that is computed.
    /// </summary>
    public static LinuxException FromLast(string operation) => new(operation, Errno.Last);

    /// <summary>The exception for <paramref name="errno"/>, read before <paramref name="operation"/> was built.</summary>
    public static LinuxException FromErrno(int errno, string operation) => new(operation, errno);
}
