using System.Globalization;
using RouterHost.Samples.Capture.Native;

namespace RouterHost.Samples.Capture.Stage;

/// <summary>
/// Whether the capture may write into a folder: the packets it holds are the router's traffic, so nobody but root (or
/// the router's own user) may read, replace or redirect them. The folder must be an absolute path to an existing
/// directory, owned by root or the router's user and writable by neither group nor others; every folder above it must
/// belong to root or that user and be writable by nobody else, unless sticky (as <c>/tmp</c>) with the next folder
/// root's or ours; and no part of the path may be a symbolic link.
/// </summary>
internal static class FolderTrust
{
    private const uint S_IFMT = 0xF000;
    private const uint S_IFDIR = 0x4000;
    private const uint S_IFLNK = 0xA000;
    private const uint S_ISVTX = 0x200;
    private const uint S_IWUSR = 0x80;
    private const uint GroupOrOtherWrite = 0x12;

    /// <summary>Null when the capture may write into <paramref name="folder"/>, else what is wrong and how to fix it.</summary>
    public static string? Check(string folder)
    {
        if (!Path.IsPathFullyQualified(folder))
        {
            return $"'{folder}' is not an absolute path; give the folder's full path, like '/var/log/routerhost/capture'";
        }

        uint euid = Libc.geteuid();
        string path = "/";
        if (!TryStat(path, out uint uid, out uint mode, out string? error))
        {
            return error;
        }

        string[] parts = folder.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (string part in parts)
        {
            string parent = path;
            uint parentMode = mode;
            if (uid != 0 && uid != euid)
            {
                return $"'{parent}' (above the capture folder) is owned by {User(uid)}, who could replace what lies in it; run `chown root: '{parent}'` or choose a folder under root's";
            }

            path = path == "/" ? "/" + part : path + "/" + part;
            if (!TryStat(path, out uid, out mode, out error))
            {
                return error;
            }

            if ((mode & S_IFMT) == S_IFLNK)
            {
                return $"'{path}' is a symbolic link; give the folder's real path (`realpath '{folder}'`)";
            }

            if ((mode & S_IFMT) != S_IFDIR)
            {
                return $"'{path}' is not a directory";
            }

            if ((parentMode & GroupOrOtherWrite) != 0 && ((parentMode & S_ISVTX) == 0 || (uid != 0 && uid != euid)))
            {
                return $"'{parent}' (above the capture folder) can be written by group or others (mode {Octal(parentMode)}), who could replace '{path}'; run `chmod go-w '{parent}'` or choose another folder";
            }
        }

        if (uid != 0 && uid != euid)
        {
            return $"'{folder}' is owned by {User(uid)} (mode {Octal(mode)}); the capture folder must be root's: run `chown root: '{folder}'`";
        }

        if ((mode & GroupOrOtherWrite) != 0)
        {
            return $"'{folder}' can be written by group or others (owner {User(uid)}, mode {Octal(mode)}); run `chmod go-w '{folder}'`";
        }

        if ((mode & S_IWUSR) == 0 && euid != 0)
        {
            return $"'{folder}' is not writable by its owner (mode {Octal(mode)}); run `chmod u+w '{folder}'`";
        }

        return null;
    }

    private static unsafe bool TryStat(string path, out uint uid, out uint mode, out string? error)
    {
        byte* buffer = stackalloc byte[Libc.StatxSize];
        if (Libc.statx(Libc.AT_FDCWD, path, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE_MODE_UID, buffer) != 0)
        {
            int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            uid = 0;
            mode = 0;
            error = errno == 2
                ? $"'{path}' does not exist; create it: `install -d -m 0750 -o root -g root '{path}'`"
                : $"cannot read '{path}': statx failed with errno {errno} ({System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)})";
            return false;
        }

        uid = *(uint*)(buffer + Libc.StatxUidOffset);
        mode = *(ushort*)(buffer + Libc.StatxModeOffset);
        error = null;
        return true;
    }

    private static string Octal(uint mode) => "0" + Convert.ToString(mode & 0xFFF, 8).PadLeft(3, '0');

    private static string User(uint uid) => uid == 0 ? "root" : string.Create(CultureInfo.InvariantCulture, $"uid {uid}");
}
