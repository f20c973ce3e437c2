// Kernel and C library names are kept verbatim so they can be checked against the headers.
#pragma warning disable CS8981

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace RouterHost.Linux.TestSupport;

internal static partial class Interop
{
    internal static partial class Libc
    {
        private const string LibraryName = "libc";

        internal const int O_RDONLY = 0;
        internal const int O_CLOEXEC = 0x80000;
        internal const int CLONE_NEWNET = 0x40000000;
        internal const int MNT_DETACH = 2;
        internal const int W_OK = 2;
        internal const int SIGKILL = 9;

        [LibraryImport(LibraryName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial SafeFileHandle open(string pathname, int flags);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int setns(SafeFileHandle fd, int nstype);

        [LibraryImport(LibraryName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int umount2(string target, int flags);

        [LibraryImport(LibraryName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int unlink(string pathname);

        [LibraryImport(LibraryName, SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int access(string pathname, int mode);

        [LibraryImport(LibraryName)]
        internal static partial uint geteuid();

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int kill(int pid, int sig);
    }
}
