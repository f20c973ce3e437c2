namespace RouterHost.Plugins.Wintun;

internal static partial class Interop
{
    /// <summary>
    /// Win32 error codes this plugin acts on, names and values verbatim from the Windows SDK's winerror.h.
    /// Wintun reports through GetLastError; the IP Helper API returns them (NETIO_STATUS).
    /// </summary>
    internal static class Errors
    {
        public const int ERROR_SUCCESS = 0;
        public const int ERROR_FILE_NOT_FOUND = 2;
        public const int ERROR_ACCESS_DENIED = 5;
        public const int ERROR_INVALID_DATA = 13;
        public const int ERROR_HANDLE_EOF = 38;
        public const int ERROR_INVALID_PARAMETER = 87;
        public const int ERROR_BUFFER_OVERFLOW = 111;
        public const int ERROR_ALREADY_EXISTS = 183;
        public const int ERROR_NO_MORE_ITEMS = 259;
        public const int ERROR_NOT_FOUND = 1168;
        public const int ERROR_ALREADY_INITIALIZED = 1247;
        public const int ERROR_OBJECT_ALREADY_EXISTS = 5010;
    }
}
