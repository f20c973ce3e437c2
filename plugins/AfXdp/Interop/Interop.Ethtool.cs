// C struct and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.AfXdp;

/// <summary>linux/ethtool.h and linux/sockios.h: reading a device's channel (queue) counts, verbatim.</summary>
internal static unsafe partial class Interop
{
    internal static partial class Ethtool
    {
        public const nuint SIOCETHTOOL = 0x8946;
        public const uint ETHTOOL_GCHANNELS = 0x3c;
        public const int IFNAMSIZ = 16;

        [StructLayout(LayoutKind.Sequential)]
        public struct ethtool_channels
        {
            public uint cmd;
            public uint max_rx;
            public uint max_tx;
            public uint max_other;
            public uint max_combined;
            public uint rx_count;
            public uint tx_count;
            public uint other_count;
            public uint combined_count;
        }

        /// <summary>struct ifreq as SIOCETHTOOL uses it: the name, then ifr_data at offset 16; 40 bytes.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 40)]
        public struct ifreq
        {
            [FieldOffset(0)]
            public fixed byte ifr_name[IFNAMSIZ];

            [FieldOffset(16)]
            public void* ifr_data;
        }
    }
}
