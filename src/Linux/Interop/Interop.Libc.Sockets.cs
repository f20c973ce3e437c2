// C struct and function names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
#pragma warning disable CA1051 // C structs expose their fields
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

public static unsafe partial class Interop
{
    /// <summary>
    /// The BSD socket part of libc, as the UDP underlay, rtnetlink and AF_XDP need it. Constants and layouts are glibc's and the kernel
    /// uapi's for LP64 Linux (x86_64 and aarch64 share them: both use asm-generic/socket.h, and every struct here
    /// has natural alignment); <c>RouterHost.Linux.Tests</c> checks each size and offset against the values glibc
    /// 2.36's headers give.
    /// </summary>
    public static partial class Libc
    {
        public const int AF_UNSPEC = 0;
        public const int AF_INET = 2;
        public const int AF_INET6 = 10;

        /// <summary>Netlink: the kernel's own message sockets (rtnetlink and others).</summary>
        public const int AF_NETLINK = 16;

        /// <summary>AF_XDP sockets: packets straight from a NIC queue into user memory.</summary>
        public const int AF_XDP = 44;

        public const int SOCK_DGRAM = 2;
        public const int SOCK_RAW = 3;
        public const int SOCK_NONBLOCK = 0x800;
        public const int SOCK_CLOEXEC = 0x80000;

        public const int IPPROTO_IP = 0;
        public const int IPPROTO_UDP = 17;
        public const int IPPROTO_IPV6 = 41;

        public const int SOL_SOCKET = 1;
        public const int SOL_IP = 0;
        public const int SOL_UDP = 17;
        public const int SOL_IPV6 = 41;
        public const int SOL_NETLINK = 270;
        public const int SOL_XDP = 283;

        public const int SO_REUSEADDR = 2;
        public const int SO_SNDBUF = 7;
        public const int SO_RCVBUF = 8;
        public const int SO_REUSEPORT = 15;

        /// <summary>The credentials (<see cref="ucred"/>) of the process at the other end of a Unix socket, as it connected.</summary>
        public const int SO_PEERCRED = 17;
        public const int SO_SNDBUFFORCE = 32;
        public const int SO_RCVBUFFORCE = 33;
        public const int SO_MARK = 36;

        /// <summary>
        /// Receive timestamps: setsockopt enables them; each received datagram then carries a cmsg of this type (a
        /// <see cref="timespec"/>, <c>CLOCK_REALTIME</c>) with the time the kernel took it in (asm-generic/socket.h,
        /// <c>SO_TIMESTAMPNS_OLD</c> = <c>SCM_TIMESTAMPNS</c> on 64-bit).
        /// </summary>
        public const int SO_TIMESTAMPNS = 35;

        /// <summary>
        /// Attaches a classic BPF program (a <see cref="Filter.sock_fprog"/>) to the socket's <c>SO_REUSEPORT</c> group:
        /// it returns the index of the group's socket that receives a datagram (asm-generic/socket.h).
        /// </summary>
        public const int SO_ATTACH_REUSEPORT_CBPF = 51;

        /// <summary>IPv4: receive (and send) <see cref="in_pktinfo"/> ancillary data.</summary>
        public const int IP_PKTINFO = 8;

        public const int IPV6_V6ONLY = 26;

        /// <summary>IPv6: receive <see cref="in6_pktinfo"/> ancillary data (as <see cref="IPV6_PKTINFO"/> cmsgs).</summary>
        public const int IPV6_RECVPKTINFO = 49;

        public const int IPV6_PKTINFO = 50;

        /// <summary>UDP GSO: setsockopt value or cmsg (a <c>__u16</c>) with the segment size (linux/udp.h).</summary>
        public const int UDP_SEGMENT = 103;

        /// <summary>UDP GRO: setsockopt enables it; a cmsg (an <c>int</c>) carries a coalesced read's segment size.</summary>
        public const int UDP_GRO = 104;

        public const int MSG_CTRUNC = 0x8;
        public const int MSG_TRUNC = 0x20;
        public const int MSG_DONTWAIT = 0x40;
        public const int SHUT_RD = 0;

        [StructLayout(LayoutKind.Sequential)]
        public struct in_addr
        {
            /// <summary>The address in network byte order.</summary>
            public uint s_addr;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct in6_addr
        {
            public fixed byte s6_addr[16];
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct sockaddr_in
        {
            public ushort sin_family;

            /// <summary>Network byte order.</summary>
            public ushort sin_port;
            public in_addr sin_addr;
            public fixed byte sin_zero[8];
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct sockaddr_in6
        {
            public ushort sin6_family;

            /// <summary>Network byte order.</summary>
            public ushort sin6_port;
            public uint sin6_flowinfo;
            public in6_addr sin6_addr;
            public uint sin6_scope_id;
        }

        /// <summary><c>struct ucred</c> (sys/socket.h): what <see cref="SO_PEERCRED"/> gives, 12 bytes.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct ucred
        {
            public int pid;
            public uint uid;
            public uint gid;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct in_pktinfo
        {
            public int ipi_ifindex;

            /// <summary>On receive, the local address a reply would come from; on send, the source address.</summary>
            public in_addr ipi_spec_dst;

            /// <summary>On receive, the header's destination address.</summary>
            public in_addr ipi_addr;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct in6_pktinfo
        {
            public in6_addr ipi6_addr;
            public int ipi6_ifindex;
        }

        /// <summary><c>struct timespec</c> (time.h, 64-bit): what an <see cref="SO_TIMESTAMPNS"/> cmsg carries.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct timespec
        {
            public long tv_sec;
            public long tv_nsec;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct msghdr
        {
            public void* msg_name;
            public uint msg_namelen;
            public iovec* msg_iov;
            public nuint msg_iovlen;
            public void* msg_control;
            public nuint msg_controllen;
            public int msg_flags;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct mmsghdr
        {
            public msghdr msg_hdr;
            public uint msg_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct cmsghdr
        {
            public nuint cmsg_len;
            public int cmsg_level;
            public int cmsg_type;
        }

        /// <summary><c>CMSG_ALIGN</c>: control messages are aligned to <c>sizeof(size_t)</c>.</summary>
        public static int CMSG_ALIGN(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

        /// <summary><c>CMSG_SPACE</c>: the bytes a control message with <paramref name="length"/> data bytes occupies.</summary>
        public static int CMSG_SPACE(int length) => CMSG_ALIGN(sizeof(cmsghdr)) + CMSG_ALIGN(length);

        /// <summary><c>CMSG_LEN</c>: the <c>cmsg_len</c> of a control message with <paramref name="length"/> data bytes.</summary>
        public static int CMSG_LEN(int length) => CMSG_ALIGN(sizeof(cmsghdr)) + length;

        /// <summary><c>CMSG_DATA</c>: where a control message's data starts.</summary>
        public static byte* CMSG_DATA(cmsghdr* cmsg) => (byte*)cmsg + CMSG_ALIGN(sizeof(cmsghdr));

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int socket(int domain, int type, int protocol);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int bind(SafeFileDescriptor sockfd, void* addr, uint addrlen);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int setsockopt(SafeFileDescriptor sockfd, int level, int optname, void* optval, uint optlen);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int getsockopt(SafeFileDescriptor sockfd, int level, int optname, void* optval, uint* optlen);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int getsockname(SafeFileDescriptor sockfd, void* addr, uint* addrlen);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int shutdown(SafeFileDescriptor sockfd, int how);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int recvmmsg(SafeFileDescriptor sockfd, mmsghdr* msgvec, uint vlen, int flags, void* timeout);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial int sendmmsg(SafeFileDescriptor sockfd, mmsghdr* msgvec, uint vlen, int flags);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint recvmsg(SafeFileDescriptor sockfd, msghdr* msg, int flags);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint sendmsg(SafeFileDescriptor sockfd, msghdr* msg, int flags);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint recvfrom(SafeFileDescriptor sockfd, void* buf, nuint len, int flags, void* src_addr, uint* addrlen);

        [LibraryImport(Lib, SetLastError = true)]
        public static partial nint sendto(SafeFileDescriptor sockfd, void* buf, nuint len, int flags, void* dest_addr, uint addrlen);
    }
}
