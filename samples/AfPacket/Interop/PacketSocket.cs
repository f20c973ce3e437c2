// C names verbatim (the kernel's and libc's), so searching the headers finds them.
#pragma warning disable CS8981, CA1707, CA1051
using System.Runtime.InteropServices;

namespace RouterHost.Samples.AfPacket.Interop;

/// <summary>Constants and structures of linux/if_packet.h used by the backend (the names are the kernel's).</summary>
internal static class PacketSocketAbi
{
    public const int SOL_PACKET = 263;
    public const int PACKET_RX_RING = 5;
    public const int PACKET_STATISTICS = 6;
    public const int PACKET_VERSION = 10;
    public const int PACKET_VNET_HDR = 15;
    public const int PACKET_FANOUT = 18;
    public const int PACKET_IGNORE_OUTGOING = 23;

    public const int TPACKET_V3 = 2;

    public const int PACKET_FANOUT_HASH = 0;
    public const int PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;

    public const ushort ETH_P_ALL = 0x0003;

    public const byte PACKET_HOST = 0;
    public const byte PACKET_BROADCAST = 1;
    public const byte PACKET_MULTICAST = 2;
    public const byte PACKET_OTHERHOST = 3;
    public const byte PACKET_OUTGOING = 4;

    public const uint TP_STATUS_KERNEL = 0;
    public const uint TP_STATUS_USER = 1 << 0;
    public const uint TP_STATUS_CSUMNOTREADY = 1 << 3;
    public const uint TP_STATUS_VLAN_VALID = 1 << 4;

    /// <summary>TPACKET_ALIGN(sizeof(struct tpacket3_hdr)): where the sockaddr_ll follows the frame header.</summary>
    public const int TPACKET3_HDR_ALIGNED = 48;

    /// <summary><c>struct tpacket_req3</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct tpacket_req3
    {
        public uint tp_block_size;
        public uint tp_block_nr;
        public uint tp_frame_size;
        public uint tp_frame_nr;
        public uint tp_retire_blk_tov;
        public uint tp_sizeof_priv;
        public uint tp_feature_req_word;
    }

    /// <summary><c>struct tpacket_stats_v3</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct tpacket_stats_v3
    {
        public uint tp_packets;
        public uint tp_drops;
        public uint tp_freeze_q_cnt;
    }

    /// <summary><c>struct sockaddr_ll</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct sockaddr_ll
    {
        public ushort sll_family;
        public ushort sll_protocol;
        public int sll_ifindex;
        public ushort sll_hatype;
        public byte sll_pkttype;
        public byte sll_halen;
        public fixed byte sll_addr[8];
    }

    /// <summary>Offsets in <c>struct tpacket_block_desc</c> (version, offset_to_priv, then <c>tpacket_hdr_v1</c>).</summary>
    public static class BlockDesc
    {
        public const int block_status = 8;
        public const int num_pkts = 12;
        public const int offset_to_first_pkt = 16;
        public const int blk_len = 20;
    }

    /// <summary>Offsets in <c>struct tpacket3_hdr</c>.</summary>
    public static class Tpacket3Hdr
    {
        public const int tp_next_offset = 0;
        public const int tp_snaplen = 12;
        public const int tp_len = 16;
        public const int tp_status = 20;
        public const int tp_mac = 24;
        public const int tp_net = 26;

        /// <summary>sll_pkttype of the sockaddr_ll that follows the header.</summary>
        public const int sll_pkttype = TPACKET3_HDR_ALIGNED + 10;
    }
}
