namespace RouterHost.Netlink;

/// <summary>
/// A netlink operation failed. <see cref="Errno"/> is the kernel's (or the C library's) error number when
/// there is one, 0 when the failure is not an errno (a malformed reply, a timeout of our own).
/// The message names what was being done, the errno's name and number, and the kernel's extended
/// acknowledgement text when it sent one, e.g.
/// "adding address 10.0.0.1/24 to tun0 (ifindex 7) failed: EEXIST (17): File exists".
/// </summary>
public class NetlinkException : Exception
{
    /// <summary>Creates an exception for a failure that carries an errno.</summary>
    public NetlinkException(string operation, int errno, string? kernelMessage = null)
        : base(FormatMessage(operation, errno, kernelMessage))
    {
        Operation = operation;
        Errno = errno;
        ErrnoName = RouterHost.Linux.Errno.Name(errno);
        KernelMessage = kernelMessage;
    }

    /// <summary>Creates an exception for a failure that is not an errno.</summary>
    public NetlinkException(string operation, string problem, Exception? innerException = null)
        : base($"{operation} failed: {problem}", innerException)
    {
        Operation = operation;
        ErrnoName = string.Empty;
    }

    /// <summary>Required by the exception conventions; prefer the constructors that name the operation.</summary>
    public NetlinkException()
        : this("netlink operation", "unknown failure")
    {
    }

    /// <summary>Required by the exception conventions; prefer the constructors that name the operation.</summary>
    public NetlinkException(string message)
        : this("netlink operation", message)
    {
    }

    /// <summary>Required by the exception conventions; prefer the constructors that name the operation.</summary>
    public NetlinkException(string message, Exception innerException)
        : this("netlink operation", message, innerException)
    {
    }

    /// <summary>What was being done, e.g. "setting MTU 1400 on d0 (ifindex 2)".</summary>
    public string Operation { get; }

    /// <summary>The positive errno number (17 for EEXIST), or 0 when the failure is not an errno.</summary>
    public int Errno { get; }

    /// <summary>The errno's symbolic name ("EEXIST"), or empty when <see cref="Errno"/> is 0.</summary>
    public string ErrnoName { get; }

    /// <summary>The kernel's extended acknowledgement message (NLMSGERR_ATTR_MSG), when it sent one.</summary>
    public string? KernelMessage { get; }

    private static string FormatMessage(string operation, int errno, string? kernelMessage)
    {
        var text = $"{operation} failed: {RouterHost.Linux.Errno.Describe(errno)}";
        return string.IsNullOrEmpty(kernelMessage) ? text : $"{text} (kernel: {kernelMessage})";
    }
}
