using System.Runtime.InteropServices;

internal static partial class Interop
{
    internal static partial class Crypto
    {
        [LibraryImport(Libraries.Crypto)]
        internal static partial ulong OpenSSL_version_num();

        [LibraryImport(Libraries.Crypto)]
        internal static partial IntPtr OpenSSL_version(int type);

        [LibraryImport(Libraries.Crypto)]
        internal static partial void ERR_clear_error();
    }
}
