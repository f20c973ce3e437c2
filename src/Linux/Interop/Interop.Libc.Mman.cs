// C function and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

public static unsafe partial class Interop
{
    public static partial class Libc
    {
        public const int PROT_READ = 0x1;
        public const int PROT_WRITE = 0x2;
        public const int MAP_SHARED = 0x01;
        public const int MAP_PRIVATE = 0x02;
        public const int MAP_ANONYMOUS = 0x20;
        public const int MAP_POPULATE = 0x8000;

        /// <summary>MAP_FAILED: <c>(void *)-1</c>.</summary>
        public static readonly nint MAP_FAILED = -1;

        /// <summary><c>mmap</c> (sys/mman.h): maps memory, or (with a descriptor) a kernel object such as a ring.</summary>
        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int munmap(nint addr, nuint length);
    }
}
