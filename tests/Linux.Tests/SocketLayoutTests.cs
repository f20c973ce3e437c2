using System.Runtime.InteropServices;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Linux.Tests;

/// <summary>
/// The socket structs match glibc's layout on LP64 Linux (x86_64 and aarch64): the sizes and offsets below are
/// what <c>sizeof</c>/<c>offsetof</c> give with glibc 2.36's headers (checked with a C program on Debian 12).
/// </summary>
public sealed unsafe class SocketLayoutTests
{
    [Fact]
    public void Msghdr_and_mmsghdr_have_glibcs_lp64_layout()
    {
        Assert.Equal(56, sizeof(msghdr));
        Assert.Equal(8, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_namelen)));
        Assert.Equal(16, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_iov)));
        Assert.Equal(24, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_iovlen)));
        Assert.Equal(32, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_control)));
        Assert.Equal(40, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_controllen)));
        Assert.Equal(48, (int)Marshal.OffsetOf<msghdr>(nameof(msghdr.msg_flags)));
        Assert.Equal(64, sizeof(mmsghdr));
        Assert.Equal(56, (int)Marshal.OffsetOf<mmsghdr>(nameof(mmsghdr.msg_len)));
    }

    [Fact]
    public void Control_message_header_and_macros_match_glibc()
    {
        Assert.Equal(16, sizeof(cmsghdr));
        Assert.Equal(8, (int)Marshal.OffsetOf<cmsghdr>(nameof(cmsghdr.cmsg_level)));
        Assert.Equal(12, (int)Marshal.OffsetOf<cmsghdr>(nameof(cmsghdr.cmsg_type)));
        Assert.Equal(16, CMSG_LEN(0));
        Assert.Equal(18, CMSG_LEN(2));
        Assert.Equal(24, CMSG_SPACE(2));
        Assert.Equal(24, CMSG_SPACE(4));
        Assert.Equal(32, CMSG_SPACE(12));
        Assert.Equal(40, CMSG_SPACE(20));
        cmsghdr header = default;
        Assert.Equal(16, (int)(CMSG_DATA(&header) - (byte*)&header));
    }

    [Fact]
    public void Socket_addresses_and_packet_info_have_the_kernels_layout()
    {
        Assert.Equal(16, sizeof(sockaddr_in));
        Assert.Equal(2, (int)Marshal.OffsetOf<sockaddr_in>(nameof(sockaddr_in.sin_port)));
        Assert.Equal(4, (int)Marshal.OffsetOf<sockaddr_in>(nameof(sockaddr_in.sin_addr)));
        Assert.Equal(28, sizeof(sockaddr_in6));
        Assert.Equal(2, (int)Marshal.OffsetOf<sockaddr_in6>(nameof(sockaddr_in6.sin6_port)));
        Assert.Equal(4, (int)Marshal.OffsetOf<sockaddr_in6>(nameof(sockaddr_in6.sin6_flowinfo)));
        Assert.Equal(8, (int)Marshal.OffsetOf<sockaddr_in6>(nameof(sockaddr_in6.sin6_addr)));
        Assert.Equal(24, (int)Marshal.OffsetOf<sockaddr_in6>(nameof(sockaddr_in6.sin6_scope_id)));
        Assert.Equal(12, sizeof(in_pktinfo));
        Assert.Equal(4, (int)Marshal.OffsetOf<in_pktinfo>(nameof(in_pktinfo.ipi_spec_dst)));
        Assert.Equal(8, (int)Marshal.OffsetOf<in_pktinfo>(nameof(in_pktinfo.ipi_addr)));
        Assert.Equal(20, sizeof(in6_pktinfo));
        Assert.Equal(16, (int)Marshal.OffsetOf<in6_pktinfo>(nameof(in6_pktinfo.ipi6_ifindex)));
        Assert.Equal(12, sizeof(ucred));
        Assert.Equal(4, (int)Marshal.OffsetOf<ucred>(nameof(ucred.uid)));
        Assert.Equal(8, (int)Marshal.OffsetOf<ucred>(nameof(ucred.gid)));
    }

    [Fact]
    public void Classic_BPF_structs_and_constants_match_the_6_1_headers()
    {
        // sizeof/offsetof and values printed by a C program with Debian 12's linux-libc-dev 6.1 (linux/filter.h).
        Assert.Equal(8, sizeof(Interop.Filter.sock_filter));
        Assert.Equal(2, (int)Marshal.OffsetOf<Interop.Filter.sock_filter>(nameof(Interop.Filter.sock_filter.jt)));
        Assert.Equal(3, (int)Marshal.OffsetOf<Interop.Filter.sock_filter>(nameof(Interop.Filter.sock_filter.jf)));
        Assert.Equal(4, (int)Marshal.OffsetOf<Interop.Filter.sock_filter>(nameof(Interop.Filter.sock_filter.k)));
        Assert.Equal(16, sizeof(Interop.Filter.sock_fprog));
        Assert.Equal(8, (int)Marshal.OffsetOf<Interop.Filter.sock_fprog>(nameof(Interop.Filter.sock_fprog.filter)));
        Assert.Equal(51, SO_ATTACH_REUSEPORT_CBPF);
        Assert.Equal(-1048576, Interop.Filter.SKF_NET_OFF);
        Assert.Equal(
            [0, 1, 4, 5, 6, 7, 0, 8, 16, 32, 64, 160, 0, 8, 112, 32, 144, 160, 0, 16, 0, 16],
            new int[]
            {
                Interop.Filter.BPF_LD, Interop.Filter.BPF_LDX, Interop.Filter.BPF_ALU, Interop.Filter.BPF_JMP, Interop.Filter.BPF_RET, Interop.Filter.BPF_MISC,
                Interop.Filter.BPF_W, Interop.Filter.BPF_H, Interop.Filter.BPF_B, Interop.Filter.BPF_ABS, Interop.Filter.BPF_IND, Interop.Filter.BPF_MSH,
                Interop.Filter.BPF_K, Interop.Filter.BPF_X, Interop.Filter.BPF_RSH, Interop.Filter.BPF_MUL, Interop.Filter.BPF_MOD, Interop.Filter.BPF_XOR,
                Interop.Filter.BPF_JA, Interop.Filter.BPF_JEQ, Interop.Filter.BPF_TAX, Interop.Filter.BPF_A,
            });
    }

    [Fact]
    public void A_udp_socket_opens_binds_and_reports_its_address()
    {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
        Assert.True(fd >= 0, Errno.Describe(Errno.Last));
        using var handle = new SafeFileDescriptor(fd);
        var address = new sockaddr_in { sin_family = AF_INET, sin_addr = new in_addr { s_addr = 0x0100007f } };
        Assert.Equal(0, bind(handle, &address, (uint)sizeof(sockaddr_in)));
        sockaddr_in bound = default;
        uint length = (uint)sizeof(sockaddr_in);
        Assert.Equal(0, getsockname(handle, &bound, &length));
        Assert.Equal((uint)sizeof(sockaddr_in), length);
        Assert.Equal(0x0100007fu, bound.sin_addr.s_addr);
        Assert.NotEqual(0, bound.sin_port);
        int value = 0;
        uint valueLength = sizeof(int);
        Assert.Equal(0, getsockopt(handle, SOL_UDP, UDP_SEGMENT, &value, &valueLength));
        Assert.Equal(0, value);
    }
}
