// C struct, field and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CA1707
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.Wintun;

internal static unsafe partial class Interop
{
    /// <summary>
    /// The address types the IP Helper rows embed, laid out explicitly as the Windows SDK declares them. Sizes and
    /// offsets (x64, identical on arm64 and x86: no pointers, 8-byte alignment only from NET_LUID/LARGE_INTEGER) are
    /// asserted by the plugin's tests against the values below; where a number comes from is said beside it.
    /// </summary>
    internal static partial class IpHelper
    {
        /// <summary>AF_INET (ws2def.h).</summary>
        public const ushort AF_INET = 2;

        /// <summary>AF_INET6 (ws2def.h).</summary>
        public const ushort AF_INET6 = 23;

        /// <summary>
        /// NET_LUID (ifdef.h): a union of <c>ULONG64 Value</c> and the bitfield <c>Info</c> (Reserved:24,
        /// NetLuidIndex:24, IfType:16); 8 bytes. Only <see cref="Value"/> is used here.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 8)]
        public struct NET_LUID
        {
            [FieldOffset(0)]
            public ulong Value;
        }

        /// <summary>
        /// SOCKADDR_IN (ws2def.h): <c>ADDRESS_FAMILY sin_family</c> (USHORT) at 0, <c>USHORT sin_port</c> at 2,
        /// <c>IN_ADDR sin_addr</c> at 4, <c>CHAR sin_zero[8]</c> at 8; 16 bytes.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 16)]
        public struct SOCKADDR_IN
        {
            [FieldOffset(0)]
            public ushort sin_family;

            [FieldOffset(2)]
            public ushort sin_port;

            [FieldOffset(4)]
            public fixed byte sin_addr[4];

            [FieldOffset(8)]
            public fixed byte sin_zero[8];
        }

        /// <summary>
        /// SOCKADDR_IN6 (ws2ipdef.h, SOCKADDR_IN6_LH): <c>sin6_family</c> at 0, <c>sin6_port</c> at 2, <c>ULONG
        /// sin6_flowinfo</c> at 4, <c>IN6_ADDR sin6_addr</c> at 8, <c>ULONG sin6_scope_id</c> at 24; 28 bytes.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 28)]
        public struct SOCKADDR_IN6
        {
            [FieldOffset(0)]
            public ushort sin6_family;

            [FieldOffset(2)]
            public ushort sin6_port;

            [FieldOffset(4)]
            public uint sin6_flowinfo;

            [FieldOffset(8)]
            public fixed byte sin6_addr[16];

            [FieldOffset(24)]
            public uint sin6_scope_id;
        }

        /// <summary>
        /// SOCKADDR_INET (ws2ipdef.h): the union of <c>SOCKADDR_IN Ipv4</c>, <c>SOCKADDR_IN6 Ipv6</c> and
        /// <c>ADDRESS_FAMILY si_family</c>; 28 bytes, 4-byte aligned (wireguard-windows' winipcfg tests assert 28 too).
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 28)]
        public struct SOCKADDR_INET
        {
            [FieldOffset(0)]
            public SOCKADDR_IN Ipv4;

            [FieldOffset(0)]
            public SOCKADDR_IN6 Ipv6;

            [FieldOffset(0)]
            public ushort si_family;
        }

        /// <summary>
        /// IP_ADDRESS_PREFIX (netioapi.h): <c>SOCKADDR_INET Prefix</c> at 0, <c>UINT8 PrefixLength</c> at 28, padded
        /// to the union's 4-byte alignment: 32 bytes.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 32)]
        public struct IP_ADDRESS_PREFIX
        {
            [FieldOffset(0)]
            public SOCKADDR_INET Prefix;

            [FieldOffset(28)]
            public byte PrefixLength;
        }
    }
}
