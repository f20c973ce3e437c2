using System.Runtime.InteropServices;

namespace RouterHost.Samples.Capture.Native;

/// <summary>The few libc calls the capture needs to judge its folder (the sample keeps its own bindings).</summary>
internal static partial class Libc
{
    /// <summary><c>AT_FDCWD</c>: a relative path is relative to the working directory.</summary>
    public const int AT_FDCWD = -100;

    /// <summary><c>AT_SYMLINK_NOFOLLOW</c>: describe a link, do not follow it.</summary>
    public const int AT_SYMLINK_NOFOLLOW = 0x100;

    /// <summary><c>STATX_TYPE | STATX_MODE | STATX_UID</c>.</summary>
    public const uint STATX_TYPE_MODE_UID = 0x1 | 0x2 | 0x8;

    /// <summary>The size of <c>struct statx</c>.</summary>
    public const int StatxSize = 256;

    /// <summary>Offset of <c>stx_uid</c> in <c>struct statx</c> (the same on every architecture).</summary>
    public const int StatxUidOffset = 20;

    /// <summary>Offset of <c>stx_mode</c> in <c>struct statx</c>.</summary>
    public const int StatxModeOffset = 28;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int statx(int dirfd, string pathname, int flags, uint mask, byte* statxbuf);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint geteuid();
}
