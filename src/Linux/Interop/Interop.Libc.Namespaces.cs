// C function and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

public static partial class Interop
{
    public static partial class Libc
    {
        /// <summary><c>umount2</c> flag: detach the mount now, free it once nothing uses it.</summary>
        public const int MNT_DETACH = 2;

        /// <summary><c>access</c> mode: may the caller write it.</summary>
        public const int W_OK = 2;

        [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int umount2(string target, int flags);

        [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int unlink(string pathname);

        [LibraryImport(Lib, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int access(string pathname, int mode);
    }
}
