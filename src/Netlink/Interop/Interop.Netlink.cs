// Kernel names are kept verbatim (sockaddr_nl, nlmsghdr) so they can be checked against the headers.
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Netlink;

internal static partial class Interop
{
    /// <summary>Constants and layouts from the kernel uapi headers (linux/netlink.h, linux/rtnetlink.h,
    /// linux/if_link.h, linux/if_addr.h, linux/neighbour.h, linux/if.h), named as there.</summary>
    internal static class Netlink
    {
        internal const int NETLINK_ROUTE = 0;

        /// <summary>struct sockaddr_nl: a netlink socket's address (port id 0 is the kernel).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct sockaddr_nl
        {
            public ushort nl_family;
            public ushort nl_pad;
            public uint nl_pid;
            public uint nl_groups;
        }

        // setsockopt(SOL_NETLINK, ...)
        internal const int NETLINK_CAP_ACK = 10;
        internal const int NETLINK_EXT_ACK = 11;
        internal const int NETLINK_GET_STRICT_CHK = 12;

        // struct nlmsghdr { __u32 nlmsg_len; __u16 nlmsg_type; __u16 nlmsg_flags; __u32 nlmsg_seq; __u32 nlmsg_pid; }
        internal const int NLMSG_HDRLEN = 16;
        internal const int NLMSG_ALIGNTO = 4;

        internal const ushort NLM_F_REQUEST = 0x01;
        internal const ushort NLM_F_MULTI = 0x02;
        internal const ushort NLM_F_ACK = 0x04;
        internal const ushort NLM_F_DUMP_INTR = 0x10;
        internal const ushort NLM_F_ROOT = 0x100;
        internal const ushort NLM_F_MATCH = 0x200;
        internal const ushort NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
        internal const ushort NLM_F_REPLACE = 0x100;
        internal const ushort NLM_F_EXCL = 0x200;
        internal const ushort NLM_F_CREATE = 0x400;
        internal const ushort NLM_F_CAPPED = 0x100;
        internal const ushort NLM_F_ACK_TLVS = 0x200;

        internal const ushort NLMSG_NOOP = 0x1;
        internal const ushort NLMSG_ERROR = 0x2;
        internal const ushort NLMSG_DONE = 0x3;
        internal const ushort NLMSG_OVERRUN = 0x4;

        // struct nlmsgerr { int error; struct nlmsghdr msg; } followed by TLVs when NLM_F_ACK_TLVS.
        internal const int NLMSGERR_SIZE = 4 + NLMSG_HDRLEN;
        internal const ushort NLMSGERR_ATTR_MSG = 1;
        internal const ushort NLMSGERR_ATTR_OFFS = 2;

        // struct rtattr / nlattr { __u16 rta_len; __u16 rta_type; }
        internal const int RTA_HDRLEN = 4;
        internal const ushort NLA_F_NESTED = 0x8000;
        internal const ushort NLA_F_NET_BYTEORDER = 0x4000;
        internal const ushort NLA_TYPE_MASK = unchecked((ushort)~(NLA_F_NESTED | NLA_F_NET_BYTEORDER));

        internal const ushort RTM_NEWLINK = 16;
        internal const ushort RTM_DELLINK = 17;
        internal const ushort RTM_GETLINK = 18;
        internal const ushort RTM_NEWADDR = 20;
        internal const ushort RTM_DELADDR = 21;
        internal const ushort RTM_GETADDR = 22;
        internal const ushort RTM_NEWROUTE = 24;
        internal const ushort RTM_DELROUTE = 25;
        internal const ushort RTM_GETROUTE = 26;
        internal const ushort RTM_NEWNEIGH = 28;
        internal const ushort RTM_DELNEIGH = 29;
        internal const ushort RTM_GETNEIGH = 30;

        // struct ifinfomsg { u8 ifi_family; u8 pad; u16 ifi_type; s32 ifi_index; u32 ifi_flags; u32 ifi_change; }
        internal const int IFINFOMSG_SIZE = 16;
        internal const ushort IFLA_ADDRESS = 1;
        internal const ushort IFLA_BROADCAST = 2;
        internal const ushort IFLA_IFNAME = 3;
        internal const ushort IFLA_MTU = 4;
        internal const ushort IFLA_TXQLEN = 13;
        internal const ushort IFLA_AF_SPEC = 26;

        // IFLA_AF_SPEC > AF_INET > IFLA_INET_CONF > [IPV4_DEVCONF_*] = u32 (linux/if_link.h, linux/ip.h).
        internal const ushort IFLA_INET_CONF = 1;
        internal const ushort IPV4_DEVCONF_PROMOTE_SECONDARIES = 20;
        internal const ushort IFLA_OPERSTATE = 16;
        internal const ushort IFLA_STATS64 = 23;
        internal const int IFNAMSIZ = 16;

        internal const uint IFF_UP = 1 << 0;
        internal const uint IFF_LOOPBACK = 1 << 3;
        internal const uint IFF_RUNNING = 1 << 6;
        internal const uint IFF_NOARP = 1 << 7;
        internal const uint IFF_LOWER_UP = 1 << 16;

        // struct ifaddrmsg { u8 ifa_family; u8 ifa_prefixlen; u8 ifa_flags; u8 ifa_scope; u32 ifa_index; }
        internal const int IFADDRMSG_SIZE = 8;
        internal const ushort IFA_ADDRESS = 1;
        internal const ushort IFA_LOCAL = 2;
        internal const ushort IFA_LABEL = 3;
        internal const ushort IFA_BROADCAST = 4;
        internal const ushort IFA_FLAGS = 8;

        /// <summary>u8: who added the address (Linux 6.1; older kernels ignore it and never report it).</summary>
        internal const ushort IFA_PROTO = 11;
        internal const uint IFA_F_NODAD = 0x02;

        // struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 rtm_flags; }
        internal const int RTMSG_SIZE = 12;
        internal const ushort RTA_DST = 1;
        internal const ushort RTA_SRC = 2;
        internal const ushort RTA_IIF = 3;
        internal const ushort RTA_OIF = 4;
        internal const ushort RTA_GATEWAY = 5;
        internal const ushort RTA_PRIORITY = 6;
        internal const ushort RTA_PREFSRC = 7;
        internal const ushort RTA_TABLE = 15;
        internal const byte RT_TABLE_UNSPEC = 0;
        internal const byte RT_TABLE_MAIN = 254;
        internal const byte RTN_UNSPEC = 0;
        internal const byte RTN_UNICAST = 1;
        internal const byte RTPROT_STATIC = 4;
        internal const byte RT_SCOPE_UNIVERSE = 0;
        internal const byte RT_SCOPE_LINK = 253;
        internal const byte RT_SCOPE_NOWHERE = 255;

        // struct fib_rule_hdr { u8 family, dst_len, src_len, tos, table, res1, res2, action; u32 flags; } (linux/fib_rules.h)
        internal const ushort RTM_NEWRULE = 32;
        internal const ushort RTM_DELRULE = 33;
        internal const ushort RTM_GETRULE = 34;
        internal const int FIB_RULE_HDR_SIZE = 12;
        internal const uint FIB_RULE_INVERT = 0x00000002;
        internal const byte FR_ACT_TO_TBL = 1;
        internal const ushort FRA_DST = 1;
        internal const ushort FRA_SRC = 2;
        internal const ushort FRA_IIFNAME = 3;
        internal const ushort FRA_PRIORITY = 6;
        internal const ushort FRA_FWMARK = 10;
        internal const ushort FRA_SUPPRESS_PREFIXLEN = 14;
        internal const ushort FRA_TABLE = 15;
        internal const ushort FRA_FWMASK = 16;
        internal const ushort FRA_OIFNAME = 17;
        internal const ushort FRA_PROTOCOL = 21;

        // struct ndmsg { u8 ndm_family; u8 pad1; u16 pad2; s32 ndm_ifindex; u16 ndm_state; u8 ndm_flags; u8 ndm_type; }
        internal const int NDMSG_SIZE = 12;
        internal const ushort NDA_DST = 1;
        internal const ushort NDA_LLADDR = 2;
        internal const ushort NDA_IFINDEX = 8;
        internal const byte NTF_USE = 1 << 0;
        internal const ushort NUD_NONE = 0x00;
    }
}
