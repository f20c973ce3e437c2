using RouterHost.Plugins.Wintun.Internal;

namespace RouterHost.Plugins.Wintun;

/// <summary>A Wintun or IP Helper call failed; the message says what was being done, the Win32 error by name, and what to check.</summary>
internal sealed class WintunException : IOException
{
    public WintunException(string operation, int error, string? hint = null)
        : base($"{operation} failed: {Win32Error.Describe(error)}{(hint is null ? string.Empty : $" ({hint})")}") => NativeErrorCode = error;

    public WintunException()
    {
    }

    public WintunException(string message)
        : base(message)
    {
    }

    public WintunException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The Win32 error code.</summary>
    public int NativeErrorCode { get; }
}
