using System.Runtime.InteropServices;
using static RouterHost.Plugins.Wintun.Interop.Errors;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>Names Win32 error codes for messages: <c>ERROR_ACCESS_DENIED (5): Access is denied.</c></summary>
internal static class Win32Error
{
    public static string Name(int code) => code switch
    {
        ERROR_SUCCESS => nameof(ERROR_SUCCESS),
        ERROR_FILE_NOT_FOUND => nameof(ERROR_FILE_NOT_FOUND),
        ERROR_ACCESS_DENIED => nameof(ERROR_ACCESS_DENIED),
        ERROR_INVALID_DATA => nameof(ERROR_INVALID_DATA),
        ERROR_HANDLE_EOF => nameof(ERROR_HANDLE_EOF),
        ERROR_INVALID_PARAMETER => nameof(ERROR_INVALID_PARAMETER),
        ERROR_BUFFER_OVERFLOW => nameof(ERROR_BUFFER_OVERFLOW),
        ERROR_ALREADY_EXISTS => nameof(ERROR_ALREADY_EXISTS),
        ERROR_NO_MORE_ITEMS => nameof(ERROR_NO_MORE_ITEMS),
        ERROR_NOT_FOUND => nameof(ERROR_NOT_FOUND),
        ERROR_ALREADY_INITIALIZED => nameof(ERROR_ALREADY_INITIALIZED),
        ERROR_OBJECT_ALREADY_EXISTS => nameof(ERROR_OBJECT_ALREADY_EXISTS),
        _ => "Win32 error",
    };

    /// <summary>The code's name and number, and on Windows the system's text for it.</summary>
    public static string Describe(int code)
    {
        string text = $"{Name(code)} ({code})";
        return OperatingSystem.IsWindows() ? $"{text}: {Marshal.GetPInvokeErrorMessage(code)}" : text;
    }
}
