// Kernel and C library names are kept verbatim (sockaddr_nl, pollfd) so they can be checked against the headers.
#pragma warning disable CS8981

using System.Runtime.InteropServices;

namespace RouterHost.Netlink;

internal static partial class Interop
{
    internal static partial class Libc
    {
        private const string LibraryName = "libc";

        internal const int AF_NETLINK = 16;
        internal const int SOCK_RAW = 3;
        internal const int SOCK_CLOEXEC = 0x80000;
        internal const int SOL_NETLINK = 270;
        internal const int MSG_TRUNC = 0x20;
        internal const short POLLIN = 0x0001;

        internal const int EINTR = 4;
        internal const int EAGAIN = 11;
        internal const int ENODEV = 19;
        internal const int ENOENT = 2;
        internal const int EEXIST = 17;
        internal const int ESRCH = 3;
        internal const int EADDRNOTAVAIL = 99;
        internal const int ENOPROTOOPT = 92;
        internal const int ETIMEDOUT = 110;

        [StructLayout(LayoutKind.Sequential)]
        internal struct sockaddr_nl
        {
            public ushort nl_family;
            public ushort nl_pad;
            public uint nl_pid;
            public uint nl_groups;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct pollfd
        {
            public int fd;
            public short events;
            public short revents;
        }

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial SafeNetlinkSocketHandle socket(int domain, int type, int protocol);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static unsafe partial int bind(SafeNetlinkSocketHandle sockfd, sockaddr_nl* addr, uint addrlen);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static unsafe partial int getsockname(SafeNetlinkSocketHandle sockfd, sockaddr_nl* addr, uint* addrlen);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static unsafe partial int setsockopt(SafeNetlinkSocketHandle sockfd, int level, int optname, void* optval, uint optlen);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static unsafe partial nint sendto(SafeNetlinkSocketHandle sockfd, byte* buf, nuint len, int flags, sockaddr_nl* dest_addr, uint addrlen);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static unsafe partial nint recvfrom(SafeNetlinkSocketHandle sockfd, byte* buf, nuint len, int flags, sockaddr_nl* src_addr, uint* addrlen);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static unsafe partial int poll(pollfd* fds, nuint nfds, int timeout);

        [LibraryImport(LibraryName, SetLastError = true)]
        internal static partial int close(nint fd);
    }
}
