// C function and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.AfXdp;

/// <summary>sys/mman.h: mmap and munmap, verbatim (x86_64/aarch64 Linux values).</summary>
internal static unsafe partial class Interop
{
    internal static partial class Mman
    {
        private const string Lib = "libc";

        public const int PROT_READ = 0x1;
        public const int PROT_WRITE = 0x2;
        public const int MAP_SHARED = 0x01;
        public const int MAP_PRIVATE = 0x02;
        public const int MAP_ANONYMOUS = 0x20;
        public const int MAP_POPULATE = 0x8000;

        /// <summary>MAP_FAILED: <c>(void *)-1</c>.</summary>
        public static readonly nint MAP_FAILED = -1;

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int munmap(nint addr, nuint length);
    }
}
