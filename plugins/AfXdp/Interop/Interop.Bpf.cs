// C struct, function and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Plugins.AfXdp;

/// <summary>
/// linux/bpf.h and linux/if_link.h: the bpf() commands, attributes and instruction encoding our XDP program needs,
/// verbatim. Offsets of <c>union bpf_attr</c> members were checked with <c>offsetof</c> against the uapi header;
/// helper and enum values against the header's enums (BPF_FUNC_redirect_map = 51, BPF_XDP = 37, BPF_MAP_TYPE_XSKMAP
/// = 17, BPF_PROG_TYPE_XDP = 6).
/// </summary>
internal static unsafe partial class Interop
{
    internal static class Bpf
    {
        /// <summary>__NR_bpf: 321 on x86_64, 280 on aarch64 (asm-generic).</summary>
        public static long SYS_bpf => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 280 : 321;

        /// <summary>sizeof(union bpf_attr) in the 6.1 uapi header; the kernel zero-extends shorter attributes.</summary>
        public const int BpfAttrSize = 144;

        // enum bpf_cmd
        public const int BPF_MAP_CREATE = 0;
        public const int BPF_MAP_UPDATE_ELEM = 2;
        public const int BPF_PROG_LOAD = 5;
        public const int BPF_LINK_CREATE = 28;
        public const int BPF_LINK_DETACH = 34;

        public const uint BPF_MAP_TYPE_XSKMAP = 17;
        public const uint BPF_PROG_TYPE_XDP = 6;
        public const uint BPF_XDP = 37;
        public const ulong BPF_ANY = 0;
        public const int BPF_OBJ_NAME_LEN = 16;

        // XDP attach flags (linux/if_link.h)
        public const uint XDP_FLAGS_SKB_MODE = 1 << 1;
        public const uint XDP_FLAGS_DRV_MODE = 1 << 2;

        // XDP actions (enum xdp_action)
        public const int XDP_DROP = 1;
        public const int XDP_PASS = 2;

        // struct xdp_md field offsets
        public const short xdp_md_data = 0;
        public const short xdp_md_data_end = 4;
        public const short xdp_md_rx_queue_index = 16;

        public const int BPF_FUNC_redirect_map = 51;
        public const byte BPF_PSEUDO_MAP_FD = 1;

        // instruction classes, sizes, modes, operations, sources
        public const byte BPF_LD = 0x00;
        public const byte BPF_LDX = 0x01;
        public const byte BPF_JMP = 0x05;
        public const byte BPF_ALU64 = 0x07;
        public const byte BPF_W = 0x00;
        public const byte BPF_H = 0x08;
        public const byte BPF_B = 0x10;
        public const byte BPF_DW = 0x18;
        public const byte BPF_IMM = 0x00;
        public const byte BPF_MEM = 0x60;
        public const byte BPF_ADD = 0x00;
        public const byte BPF_MOV = 0xb0;
        public const byte BPF_JA = 0x00;
        public const byte BPF_JEQ = 0x10;
        public const byte BPF_JGT = 0x20;
        public const byte BPF_JNE = 0x50;
        public const byte BPF_JLT = 0xa0;
        public const byte BPF_CALL = 0x80;
        public const byte BPF_EXIT = 0x90;
        public const byte BPF_K = 0x00;
        public const byte BPF_X = 0x08;

        /// <summary>struct bpf_insn: opcode, dst_reg (low nibble) and src_reg (high nibble), offset, immediate.</summary>
        [StructLayout(LayoutKind.Sequential)]
        public struct bpf_insn
        {
            public byte code;
            public byte regs;
            public short off;
            public int imm;
        }

        /// <summary>union bpf_attr for BPF_MAP_CREATE.</summary>
        [StructLayout(LayoutKind.Explicit, Size = BpfAttrSize)]
        public struct bpf_attr_map_create
        {
            [FieldOffset(0)]
            public uint map_type;

            [FieldOffset(4)]
            public uint key_size;

            [FieldOffset(8)]
            public uint value_size;

            [FieldOffset(12)]
            public uint max_entries;

            [FieldOffset(16)]
            public uint map_flags;

            [FieldOffset(28)]
            public fixed byte map_name[BPF_OBJ_NAME_LEN];
        }

        /// <summary>union bpf_attr for BPF_MAP_*_ELEM.</summary>
        [StructLayout(LayoutKind.Explicit, Size = BpfAttrSize)]
        public struct bpf_attr_map_elem
        {
            [FieldOffset(0)]
            public uint map_fd;

            [FieldOffset(8)]
            public ulong key;

            [FieldOffset(16)]
            public ulong value;

            [FieldOffset(24)]
            public ulong flags;
        }

        /// <summary>union bpf_attr for BPF_PROG_LOAD.</summary>
        [StructLayout(LayoutKind.Explicit, Size = BpfAttrSize)]
        public struct bpf_attr_prog_load
        {
            [FieldOffset(0)]
            public uint prog_type;

            [FieldOffset(4)]
            public uint insn_cnt;

            [FieldOffset(8)]
            public ulong insns;

            [FieldOffset(16)]
            public ulong license;

            [FieldOffset(24)]
            public uint log_level;

            [FieldOffset(28)]
            public uint log_size;

            [FieldOffset(32)]
            public ulong log_buf;

            [FieldOffset(40)]
            public uint kern_version;

            [FieldOffset(44)]
            public uint prog_flags;

            [FieldOffset(48)]
            public fixed byte prog_name[BPF_OBJ_NAME_LEN];

            [FieldOffset(64)]
            public uint prog_ifindex;

            [FieldOffset(68)]
            public uint expected_attach_type;
        }

        /// <summary>union bpf_attr for BPF_LINK_CREATE (link_create: prog_fd, target_ifindex, attach_type, flags).</summary>
        [StructLayout(LayoutKind.Explicit, Size = BpfAttrSize)]
        public struct bpf_attr_link_create
        {
            [FieldOffset(0)]
            public uint prog_fd;

            [FieldOffset(4)]
            public uint target_ifindex;

            [FieldOffset(8)]
            public uint attach_type;

            [FieldOffset(12)]
            public uint flags;
        }

        /// <summary>union bpf_attr for BPF_LINK_DETACH.</summary>
        [StructLayout(LayoutKind.Explicit, Size = BpfAttrSize)]
        public struct bpf_attr_link_detach
        {
            [FieldOffset(0)]
            public uint link_fd;
        }

        /// <summary>bpf(cmd, attr, size), through syscall(2): glibc does not wrap bpf(2).</summary>
        public static long bpf<T>(int cmd, ref T attr)
            where T : unmanaged
        {
            fixed (T* p = &attr)
            {
                return RouterHost.Linux.Interop.Libc.syscall(SYS_bpf, cmd, p, sizeof(T));
            }
        }
    }
}
