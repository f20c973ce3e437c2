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

        /// <summary><c>SCHED_OTHER</c>: the default time-sharing policy.</summary>
        public const int SCHED_OTHER = 0;

        /// <summary><c>SCHED_FIFO</c>: real-time, first in first out, priorities 1..99.</summary>
        public const int SCHED_FIFO = 1;

        /// <summary><c>struct sched_param</c>.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct sched_param
        {
            /// <summary><c>sched_priority</c>.</summary>
            public int sched_priority;
        }

        /// <summary><c>sched_setscheduler(pid, policy, param)</c>; pid 0 is the calling thread.</summary>
        [LibraryImport(Lib, SetLastError = true)]
        public static partial int sched_setscheduler(int pid, int policy, sched_param* param);

        /// <summary><c>sched_setaffinity(pid, cpusetsize, mask)</c>; pid 0 is the calling thread.</summary>
        [LibraryImport(Lib, SetLastError = true)]
        public static partial int sched_setaffinity(int pid, nuint cpusetsize, void* mask);
    }
}
