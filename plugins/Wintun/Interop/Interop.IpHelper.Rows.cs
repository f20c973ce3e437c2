// C struct, field, enum and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CA1707
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.Wintun;

internal static unsafe partial class Interop
{
    /// <summary>
    /// The IP Helper rows this plugin passes to iphlpapi.dll, with every field at its Windows offset.
    /// <para>
    /// Where the numbers come from: the field order and types are the Windows SDK's netioapi.h (also nldef.h for the
    /// NL_* enums, ifdef.h for NET_LUID, ws2ipdef.h for SOCKADDR_INET; the SDK headers are published recompiled in
    /// microsoft/win32metadata, generation/WinSDK/RecompiledIdlHeaders/shared/netioapi.h). The offsets follow from C's
    /// layout rules on x64 (natural alignment; NET_LUID and LARGE_INTEGER 8-aligned, SOCKADDR_INET 4-aligned), and
    /// each size and offset matches the constants WireGuard's own Windows client asserts for the same structs
    /// (wireguard-windows, tunnel/winipcfg/types_test.go: mibUnicastIPAddressRowSize = 80, mibIPforwardRow2Size =
    /// 104, mibIPInterfaceRowSize = 168, ipAddressPrefixSize = 32, rawSockaddrInetSize = 28, and each field offset).
    /// The plugin's tests assert all of them.
    /// </para>
    /// </summary>
    internal static partial class IpHelper
    {
        /// <summary>ScopeLevelCount (ws2def.h SCOPE_LEVEL): the length of MIB_IPINTERFACE_ROW.ZoneIndices.</summary>
        public const int ScopeLevelCount = 16;

        /// <summary>The "infinite" lifetime of an address or route (0xffffffff).</summary>
        public const uint INFINITE_LIFETIME = 0xFFFFFFFF;

        /// <summary>NL_PREFIX_ORIGIN (nldef.h).</summary>
        public enum NL_PREFIX_ORIGIN
        {
            IpPrefixOriginOther = 0,
            IpPrefixOriginManual = 1,
            IpPrefixOriginWellKnown = 2,
            IpPrefixOriginDhcp = 3,
            IpPrefixOriginRouterAdvertisement = 4,
            IpPrefixOriginUnchanged = 16,
        }

        /// <summary>NL_SUFFIX_ORIGIN (nldef.h).</summary>
        public enum NL_SUFFIX_ORIGIN
        {
            IpSuffixOriginOther = 0,
            IpSuffixOriginManual = 1,
            IpSuffixOriginWellKnown = 2,
            IpSuffixOriginDhcp = 3,
            IpSuffixOriginLinkLayerAddress = 4,
            IpSuffixOriginRandom = 5,
            IpSuffixOriginUnchanged = 16,
        }

        /// <summary>NL_DAD_STATE (nldef.h).</summary>
        public enum NL_DAD_STATE
        {
            IpDadStateInvalid = 0,
            IpDadStateTentative = 1,
            IpDadStateDuplicate = 2,
            IpDadStateDeprecated = 3,
            IpDadStatePreferred = 4,
        }

        /// <summary>NL_ROUTE_PROTOCOL (nldef.h); MIB_IPPROTO_NETMGMT is the same value, "static route set by management".</summary>
        public enum NL_ROUTE_PROTOCOL
        {
            RouteProtocolOther = 1,
            RouteProtocolLocal = 2,
            RouteProtocolNetMgmt = 3,
        }

        /// <summary>NL_ROUTE_ORIGIN (nldef.h).</summary>
        public enum NL_ROUTE_ORIGIN
        {
            NlroManual = 0,
            NlroWellKnown = 1,
            NlroDHCP = 2,
            NlroRouterAdvertisement = 3,
            Nlro6to4 = 4,
        }

        /// <summary>
        /// MIB_UNICASTIPADDRESS_ROW (netioapi.h), 80 bytes on x64:
        /// Address 0, InterfaceLuid 32, InterfaceIndex 40, PrefixOrigin 44, SuffixOrigin 48, ValidLifetime 52,
        /// PreferredLifetime 56, OnLinkPrefixLength 60, SkipAsSource 61, DadState 64, ScopeId 68, CreationTimeStamp 72.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 80)]
        public struct MIB_UNICASTIPADDRESS_ROW
        {
            [FieldOffset(0)]
            public SOCKADDR_INET Address;

            [FieldOffset(32)]
            public NET_LUID InterfaceLuid;

            [FieldOffset(40)]
            public uint InterfaceIndex;

            [FieldOffset(44)]
            public NL_PREFIX_ORIGIN PrefixOrigin;

            [FieldOffset(48)]
            public NL_SUFFIX_ORIGIN SuffixOrigin;

            [FieldOffset(52)]
            public uint ValidLifetime;

            [FieldOffset(56)]
            public uint PreferredLifetime;

            [FieldOffset(60)]
            public byte OnLinkPrefixLength;

            [FieldOffset(61)]
            public byte SkipAsSource;

            [FieldOffset(64)]
            public NL_DAD_STATE DadState;

            [FieldOffset(68)]
            public uint ScopeId;

            [FieldOffset(72)]
            public long CreationTimeStamp;
        }

        /// <summary>
        /// MIB_IPFORWARD_ROW2 (netioapi.h), 104 bytes on x64:
        /// InterfaceLuid 0, InterfaceIndex 8, DestinationPrefix 12, NextHop 44, SitePrefixLength 72, ValidLifetime 76,
        /// PreferredLifetime 80, Metric 84, Protocol 88, Loopback 92, AutoconfigureAddress 93, Publish 94, Immortal 95,
        /// Age 96, Origin 100.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 104)]
        public struct MIB_IPFORWARD_ROW2
        {
            [FieldOffset(0)]
            public NET_LUID InterfaceLuid;

            [FieldOffset(8)]
            public uint InterfaceIndex;

            [FieldOffset(12)]
            public IP_ADDRESS_PREFIX DestinationPrefix;

            [FieldOffset(44)]
            public SOCKADDR_INET NextHop;

            [FieldOffset(72)]
            public byte SitePrefixLength;

            [FieldOffset(76)]
            public uint ValidLifetime;

            [FieldOffset(80)]
            public uint PreferredLifetime;

            [FieldOffset(84)]
            public uint Metric;

            [FieldOffset(88)]
            public NL_ROUTE_PROTOCOL Protocol;

            [FieldOffset(92)]
            public byte Loopback;

            [FieldOffset(93)]
            public byte AutoconfigureAddress;

            [FieldOffset(94)]
            public byte Publish;

            [FieldOffset(95)]
            public byte Immortal;

            [FieldOffset(96)]
            public uint Age;

            [FieldOffset(100)]
            public NL_ROUTE_ORIGIN Origin;
        }

        /// <summary>
        /// MIB_IPINTERFACE_ROW (netioapi.h), 168 bytes on x64: Family 0, InterfaceLuid 8, InterfaceIndex 16,
        /// MaxReassemblySize 20, InterfaceIdentifier 24, Min/MaxRouterAdvertisementInterval 32/36, the nine BOOLEANs
        /// AdvertisingEnabled..AdvertiseDefaultRoute 40..48, RouterDiscoveryBehavior 52, DadTransmits 56,
        /// BaseReachableTime 60, RetransmitTime 64, PathMtuDiscoveryTimeout 68, LinkLocalAddressBehavior 72,
        /// LinkLocalAddressTimeout 76, ZoneIndices[ScopeLevelCount] 80, SitePrefixLength 144, Metric 148, NlMtu 152,
        /// Connected 156, SupportsWakeUpPatterns 157, SupportsNeighborDiscovery 158, SupportsRouterDiscovery 159,
        /// ReachableTime 160, TransmitOffload 164, ReceiveOffload 165 (NL_INTERFACE_OFFLOAD_ROD: one byte of
        /// BOOLEAN bitfields), DisableDefaultRoutes 166.
        /// </summary>
        [StructLayout(LayoutKind.Explicit, Size = 168)]
        public struct MIB_IPINTERFACE_ROW
        {
            [FieldOffset(0)]
            public ushort Family;

            [FieldOffset(8)]
            public NET_LUID InterfaceLuid;

            [FieldOffset(16)]
            public uint InterfaceIndex;

            [FieldOffset(20)]
            public uint MaxReassemblySize;

            [FieldOffset(24)]
            public ulong InterfaceIdentifier;

            [FieldOffset(32)]
            public uint MinRouterAdvertisementInterval;

            [FieldOffset(36)]
            public uint MaxRouterAdvertisementInterval;

            [FieldOffset(40)]
            public byte AdvertisingEnabled;

            [FieldOffset(41)]
            public byte ForwardingEnabled;

            [FieldOffset(42)]
            public byte WeakHostSend;

            [FieldOffset(43)]
            public byte WeakHostReceive;

            [FieldOffset(44)]
            public byte UseAutomaticMetric;

            [FieldOffset(45)]
            public byte UseNeighborUnreachabilityDetection;

            [FieldOffset(46)]
            public byte ManagedAddressConfigurationSupported;

            [FieldOffset(47)]
            public byte OtherStatefulConfigurationSupported;

            [FieldOffset(48)]
            public byte AdvertiseDefaultRoute;

            [FieldOffset(52)]
            public int RouterDiscoveryBehavior;

            [FieldOffset(56)]
            public uint DadTransmits;

            [FieldOffset(60)]
            public uint BaseReachableTime;

            [FieldOffset(64)]
            public uint RetransmitTime;

            [FieldOffset(68)]
            public uint PathMtuDiscoveryTimeout;

            [FieldOffset(72)]
            public int LinkLocalAddressBehavior;

            [FieldOffset(76)]
            public uint LinkLocalAddressTimeout;

            [FieldOffset(80)]
            public fixed uint ZoneIndices[ScopeLevelCount];

            [FieldOffset(144)]
            public uint SitePrefixLength;

            [FieldOffset(148)]
            public uint Metric;

            [FieldOffset(152)]
            public uint NlMtu;

            [FieldOffset(156)]
            public byte Connected;

            [FieldOffset(157)]
            public byte SupportsWakeUpPatterns;

            [FieldOffset(158)]
            public byte SupportsNeighborDiscovery;

            [FieldOffset(159)]
            public byte SupportsRouterDiscovery;

            [FieldOffset(160)]
            public uint ReachableTime;

            [FieldOffset(164)]
            public byte TransmitOffload;

            [FieldOffset(165)]
            public byte ReceiveOffload;

            [FieldOffset(166)]
            public byte DisableDefaultRoutes;
        }
    }
}
