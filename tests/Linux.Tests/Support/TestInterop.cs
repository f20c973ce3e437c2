// C names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Linux.Tests.Support;

/// <summary>libc calls only the tests need: the calling thread's id, and a signal sent to one thread.</summary>
internal static partial class TestInterop
{
    /// <summary>Terminal window size changed: ignored by default, so a handled one harms nothing.</summary>
    public const int SIGWINCH = 28;

    [LibraryImport("libc")]
    public static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int tgkill(int tgid, int tid, int sig);
}
