// C function and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

public static partial class Interop
{
    public static partial class Libc
    {
        /// <summary><c>prctl</c> option: the signal this process gets when its parent thread dies.</summary>
        public const int PR_SET_PDEATHSIG = 1;

        public const int SIGKILL = 9;
        public const int SIGTERM = 15;

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

        [LibraryImport(Lib)]
        public static partial int getppid();

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int kill(int pid, int sig);
    }
}
