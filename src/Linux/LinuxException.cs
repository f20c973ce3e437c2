namespace RouterHost.Linux;

/// <summary>A system call failed; the message says what was being done and the errno by name.</summary>
public sealed class LinuxException : IOException
{
    public LinuxException(string operation, int errno)
        : base($"{operation} failed: {Errno.Describe(errno)}") => ErrorNumber = errno;

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

    /// <summary>Throws for the last errno.</summary>
    public static LinuxException FromLast(string operation) => new(operation, Errno.Last);
}
