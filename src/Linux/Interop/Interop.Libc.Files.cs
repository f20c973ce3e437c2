// C function, struct and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
#pragma warning disable CA1707
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

public static unsafe partial class Interop
{
    public static partial class Libc
    {
        /// <summary><c>statx</c>'s <c>dirfd</c>: paths are relative to the current directory.</summary>
        public const int AT_FDCWD = -100;

        /// <summary><c>statx</c> flag: describe a symbolic link itself, not what it points to (<c>lstat</c>).</summary>
        public const int AT_SYMLINK_NOFOLLOW = 0x100;

        public const uint STATX_TYPE = 0x1;
        public const uint STATX_MODE = 0x2;
        public const uint STATX_UID = 0x8;
        public const uint STATX_GID = 0x10;

        public const int S_IFMT = 0xF000;
        public const int S_IFDIR = 0x4000;
        public const int S_IFREG = 0x8000;
        public const int S_IFLNK = 0xA000;

        /// <summary><c>access</c> mode: may the caller write it.</summary>
        public const int W_OK = 2;

        /// <summary><c>umount2</c> flag: detach now, unmount once no longer busy.</summary>
        public const int MNT_DETACH = 2;

        /// <summary>The sticky bit: in a directory, only an entry's owner (or the directory's, or root) may rename or remove it.</summary>
        public const int S_ISVTX = 0x200;

        /// <summary>
        /// <c>struct statx</c> (linux/stat.h): the same layout on every architecture, which is why it is used rather
        /// than <c>struct stat</c>. Only the fields read here are named; timestamps and device numbers follow in the
        /// 256 bytes. (C names the struct and the function alike, which C# cannot.)
        /// </summary>
        [StructLayout(LayoutKind.Sequential, Size = 256)]
        public struct statx_t
        {
            public uint stx_mask;
            public uint stx_blksize;
            public ulong stx_attributes;
            public uint stx_nlink;
            public uint stx_uid;
            public uint stx_gid;
            public ushort stx_mode;
            public ushort __spare0;
            public ulong stx_ino;
            public ulong stx_size;
        }

        /// <summary><c>struct passwd</c> (pwd.h), LP64 layout.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct passwd
        {
            public byte* pw_name;
            public byte* pw_passwd;
            public uint pw_uid;
            public uint pw_gid;
            public byte* pw_gecos;
            public byte* pw_dir;
            public byte* pw_shell;
        }

        [LibraryImport(Lib, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int statx(int dirfd, string pathname, int flags, uint mask, statx_t* statxbuf);

        [LibraryImport(Lib, EntryPoint = "access", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int access(string pathname, int mode);

        [LibraryImport(Lib, EntryPoint = "unlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int unlink(string pathname);

        [LibraryImport(Lib, EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int umount2(string target, int flags);

        [LibraryImport(Lib)]
        public static partial uint geteuid();

        /// <summary>Returns an errno (not -1 with errno set); <c>*result</c> is null when the user does not exist.</summary>
        [LibraryImport(Lib)]
        public static partial int getpwuid_r(uint uid, passwd* pwd, byte* buf, nuint buflen, passwd** result);
    }
}
