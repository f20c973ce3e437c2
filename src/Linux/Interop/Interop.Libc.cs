// C struct and function names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

/// <summary>
/// libc entry points, names and constants verbatim (x86_64/aarch64 Linux values). Every call sets the last
/// P/Invoke error (errno). Public: the backends and the UDP underlay bind through it.
/// </summary>
public static unsafe partial class Interop
{
    public static partial class Libc
    {
        private const string Lib = "libc";

        public const int O_RDONLY = 0x0;
        public const int O_RDWR = 0x2;
        public const int O_NONBLOCK = 0x800;
        public const int O_CLOEXEC = 0x80000;

        public const short POLLIN = 0x1;
        public const short POLLOUT = 0x4;
        public const short POLLERR = 0x8;
        public const short POLLHUP = 0x10;
        public const short POLLNVAL = 0x20;

        public const int F_GETFL = 3;
        public const int F_SETFL = 4;

        public const int EFD_CLOEXEC = 0x80000;
        public const int EFD_NONBLOCK = 0x800;

        [StructLayout(LayoutKind.Sequential)]
        public struct pollfd
        {
            public int fd;
            public short events;
            public short revents;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct iovec
        {
            public void* iov_base;
            public nuint iov_len;
        }

        [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int open(string pathname, int flags);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int close(int fd);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint read(SafeFileDescriptor fd, byte* buf, nuint count);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint write(SafeFileDescriptor fd, byte* buf, nuint count);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint writev(SafeFileDescriptor fd, iovec* iov, int iovcnt);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int fcntl(SafeFileDescriptor fd, int cmd, int arg);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int poll(pollfd* fds, nuint nfds, int timeout);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int eventfd(uint initval, int flags);

        public const int CLONE_NEWNET = 0x40000000;

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int setns(SafeFileDescriptor fd, int nstype);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int ioctl(SafeFileDescriptor fd, nuint request, void* argp);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int ioctl(SafeFileDescriptor fd, nuint request, nint arg);

        /// <summary>
        /// <c>syscall(number, a, b, c)</c> for a call glibc does not wrap (bpf(2)); C declares it variadic, and every
        /// argument here is register-sized.
        /// </summary>
        [LibraryImport(Lib, SetLastError = true)]
        public static partial long syscall(long number, long arg1, void* arg2, long arg3);
    }
}
