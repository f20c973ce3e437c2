// C function names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

public static unsafe partial class Interop
{
    public static partial class Libc
    {
        /// <summary>Bytes of glibc's <c>cpu_set_t</c> (1024 CPUs).</summary>
        public const int CPU_SETSIZE_BYTES = 128;

        /// <summary><c>sched_setaffinity(pid, cpusetsize, mask)</c>; pid 0 is the calling thread.</summary>
        [LibraryImport(Lib, SetLastError = true)]
        public static partial int sched_setaffinity(int pid, nuint cpusetsize, void* mask);
    }
}
