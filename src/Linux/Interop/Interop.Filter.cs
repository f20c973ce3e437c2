// C struct and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
#pragma warning disable CA1051 // C structs expose their fields
using System.Runtime.InteropServices;

namespace RouterHost.Linux;

public static unsafe partial class Interop
{
    /// <summary>
    /// Classic BPF, as linux/filter.h and linux/bpf_common.h define it: the instruction and program structs a socket
    /// option takes, the opcode parts, and the negative offsets that reach the packet's network header. Layouts are
    /// checked in <c>RouterHost.Linux.Tests</c> against what a C program printed with Debian 12's headers (6.1).
    /// </summary>
    public static class Filter
    {
        // Instruction classes.
        public const ushort BPF_LD = 0x00;
        public const ushort BPF_LDX = 0x01;
        public const ushort BPF_ALU = 0x04;
        public const ushort BPF_JMP = 0x05;
        public const ushort BPF_RET = 0x06;
        public const ushort BPF_MISC = 0x07;

        // Load sizes and modes.
        public const ushort BPF_W = 0x00;
        public const ushort BPF_H = 0x08;
        public const ushort BPF_B = 0x10;
        public const ushort BPF_ABS = 0x20;
        public const ushort BPF_IND = 0x40;

        /// <summary><c>ldx 4*([k]&amp;0xf)</c>: an IPv4 header's length from its first byte.</summary>
        public const ushort BPF_MSH = 0xa0;

        // Operand source.
        public const ushort BPF_K = 0x00;
        public const ushort BPF_X = 0x08;

        // ALU operations.
        public const ushort BPF_MUL = 0x20;
        public const ushort BPF_RSH = 0x70;
        public const ushort BPF_MOD = 0x90;
        public const ushort BPF_XOR = 0xa0;

        // Jumps.
        public const ushort BPF_JA = 0x00;
        public const ushort BPF_JEQ = 0x10;

        // Return value and register moves.
        public const ushort BPF_A = 0x10;
        public const ushort BPF_TAX = 0x00;

        /// <summary>
        /// Loads at <c>SKF_NET_OFF + n</c> read byte <c>n</c> of the network header, wherever the packet's data
        /// starts (a reuseport program's data starts after the UDP header).
        /// </summary>
        public const int SKF_NET_OFF = -0x100000;

        /// <summary>The instruction limit of a classic program (<c>BPF_MAXINSNS</c>).</summary>
        public const int BPF_MAXINSNS = 4096;

        [StructLayout(LayoutKind.Sequential)]
        public struct sock_filter
        {
            public ushort code;
            public byte jt;
            public byte jf;
            public uint k;
        }

        [StructLayout(LayoutKind.Sequential)]
        public struct sock_fprog
        {
            public ushort len;
            public sock_filter* filter;
        }
    }
}
