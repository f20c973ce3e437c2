// C struct, function and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.AfXdp;

/// <summary>
/// linux/if_xdp.h (kernel 6.8+: <c>xdp_umem_reg</c> with <c>flags</c> and <c>tx_metadata_len</c>, 32 bytes), verbatim.
/// Values checked against the uapi headers (libbpf's copy of include/uapi/linux/if_xdp.h, and the 6.1 headers of this
/// machine compiled with <c>offsetof</c>/<c>sizeof</c>). The socket calls, <c>AF_XDP</c> and <c>SOL_XDP</c> are
/// <c>RouterHost.Linux</c>'s libc binding.
/// </summary>
internal static partial class Interop
{
    internal static partial class Xsk
    {
        // sxdp_flags
        public const ushort XDP_SHARED_UMEM = 1 << 0;
        public const ushort XDP_COPY = 1 << 1;
        public const ushort XDP_ZEROCOPY = 1 << 2;
        public const ushort XDP_USE_NEED_WAKEUP = 1 << 3;

        // socket options (SOL_XDP)
        public const int XDP_MMAP_OFFSETS = 1;
        public const int XDP_RX_RING = 2;
        public const int XDP_TX_RING = 3;
        public const int XDP_UMEM_REG = 4;
        public const int XDP_UMEM_FILL_RING = 5;
        public const int XDP_UMEM_COMPLETION_RING = 6;
        public const int XDP_STATISTICS = 7;
        public const int XDP_OPTIONS = 8;

        /// <summary>
        /// Frames one copy-mode <c>sendto</c> may send (kernel 6.17+; default TX_BATCH_SIZE, 32). The kernel takes values
        /// from 32 to the TX ring's size, once the TX ring exists; older kernels say ENOPROTOOPT.
        /// </summary>
        public const int XDP_MAX_TX_SKB_BUDGET = 9;

        /// <summary>TX_BATCH_SIZE in net/xdp/xsk.c: what a copy-mode <c>sendto</c> sends without XDP_MAX_TX_SKB_BUDGET.</summary>
        public const int TX_BATCH_SIZE = 32;

        public const uint XDP_RING_NEED_WAKEUP = 1 << 0;
        public const uint XDP_OPTIONS_ZEROCOPY = 1 << 0;

        /// <summary>XDP_PACKET_HEADROOM (include/linux/bpf.h... net/xdp): the kernel's room before RX data in every chunk.</summary>
        public const int XDP_PACKET_HEADROOM = 256;

        /// <summary>XDP_PKT_CONTD in xdp_desc.options: the packet continues in the next descriptor (multi-buffer).</summary>
        public const uint XDP_PKT_CONTD = 1 << 0;

        // mmap page offsets of the rings
        public const long XDP_PGOFF_RX_RING = 0;
        public const long XDP_PGOFF_TX_RING = 0x80000000;
        public const long XDP_UMEM_PGOFF_FILL_RING = 0x100000000;
        public const long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000;

        [StructLayout(LayoutKind.Sequential)]
        public struct sockaddr_xdp
        {
            public ushort sxdp_family;
            public ushort sxdp_flags;
            public uint sxdp_ifindex;
            public uint sxdp_queue_id;
            public uint sxdp_shared_umem_fd;
        }

        /// <summary>The full-size UMEM registration (v3): the kernel reads <c>flags</c> and <c>tx_metadata_len</c> too.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct xdp_umem_reg
        {
            public ulong addr;
            public ulong len;
            public uint chunk_size;
            public uint headroom;
            public uint flags;
            public uint tx_metadata_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct xdp_ring_offset
        {
            public ulong producer;
            public ulong consumer;
            public ulong desc;
            public ulong flags;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct xdp_mmap_offsets
        {
            public xdp_ring_offset rx;
            public xdp_ring_offset tx;
            public xdp_ring_offset fr;
            public xdp_ring_offset cr;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct xdp_desc
        {
            public ulong addr;
            public uint len;
            public uint options;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct xdp_statistics
        {
            public ulong rx_dropped;
            public ulong rx_invalid_descs;
            public ulong tx_invalid_descs;
            public ulong rx_ring_full;
            public ulong rx_fill_ring_empty_descs;
            public ulong tx_ring_empty_descs;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct xdp_options
        {
            public uint flags;
        }
    }
}
