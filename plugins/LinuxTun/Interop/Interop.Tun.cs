// C struct and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>linux/if_tun.h and linux/if.h: the TUN ioctls, flags and offload bits, verbatim.</summary>
internal static unsafe partial class Interop
{
    internal static class Tun
    {
        public const string DevicePath = "/dev/net/tun";

        // _IOW('T', n, int) = 0x40045400 | n; _IOR('T', n, unsigned int) = 0x80045400 | n.
        public const nuint TUNSETIFF = 0x400454CA;
        public const nuint TUNSETPERSIST = 0x400454CB;
        public const nuint TUNGETFEATURES = 0x800454CF;
        public const nuint TUNSETOFFLOAD = 0x400454D0;
        public const nuint TUNGETIFF = 0x800454D2;
        public const nuint TUNGETVNETHDRSZ = 0x800454D7;
        public const nuint TUNSETVNETHDRSZ = 0x400454D8;

        public const short IFF_TUN = 0x0001;
        public const short IFF_MULTI_QUEUE = 0x0100;
        public const short IFF_NO_PI = 0x1000;
        public const short IFF_VNET_HDR = 0x4000;

        public const uint TUN_F_CSUM = 0x01;
        public const uint TUN_F_TSO4 = 0x02;
        public const uint TUN_F_TSO6 = 0x04;
        public const uint TUN_F_TSO_ECN = 0x08;
        public const uint TUN_F_USO4 = 0x20;
        public const uint TUN_F_USO6 = 0x40;

        /// <summary>IFNAMSIZ: interface names are at most 15 bytes plus the terminator.</summary>
        public const int IFNAMSIZ = 16;

        /// <summary>struct ifreq, as far as TUNSETIFF/TUNGETIFF use it (name, then flags), padded to its 40 bytes.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 40)]
        public struct ifreq
        {
            [FieldOffset(0)]
            public fixed byte ifr_name[IFNAMSIZ];

            [FieldOffset(16)]
            public short ifr_flags;
        }
    }
}
