// C struct and constant names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using RouterHost.Linux;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>
/// Flow steering for a multi-queue TUN: a 22-instruction socket-filter program, loaded with bpf(BPF_PROG_LOAD) and
/// attached with <c>TUNSETSTEERINGEBPF</c>, that picks the queue the kernel hands each outgoing packet to by a hash of
/// its flow. Without it the kernel's TUN follows the queue a flow's replies were last written on, and one peer's
/// replies all come from the one socket its datagrams arrive on: every flow to that peer lands on one queue, one
/// lane, one core. With it a peer's flows spread over the lanes, each flow staying on one queue (its order kept).
/// <code>
/// skb->hash non-zero (the sending socket's flow hash, as TCP and connected UDP set it)  → it, folded to 16 bits
/// IPv4                       → saddr ^ daddr, ^ the port word for TCP and UDP (header without options), folded
/// anything else              → 0 (queue 0)
/// </code>
/// The kernel takes the result modulo the number of queues. The program fd is closed once attached (the device holds
/// the program). A kernel that refuses it leaves the device on its own queue selection; the caller logs why.
/// </summary>
internal static unsafe class TunSteering
{
    /// <summary>The program's name as bpftool shows it (at most 15 bytes).</summary>
    public const string Name = "routerhost_flow";

    // _IOR('T', 224, int): linux/if_tun.h.
    private const nuint TUNSETSTEERINGEBPF = 0x800454E0;
    private const int BPF_PROG_LOAD = 5;
    private const uint BPF_PROG_TYPE_SOCKET_FILTER = 1;
    private const int BpfAttrSize = 144;
    private const int SkBuffHash = 68; // offsetof(struct __sk_buff, hash)

    /// <summary>The program, eight bytes per instruction (struct bpf_insn: code, dst_reg:4 src_reg:4, off, imm).</summary>
    internal static byte[] Assemble()
    {
        (byte Code, byte Regs, short Off, int Imm)[] program =
        [
            /*  0 */ (0xbf, 0x16, 0, 0),           // r6 = r1 (the skb, for the packet loads)
            /*  1 */ (0x61, 0x60, SkBuffHash, 0),  // r0 = skb->hash
            /*  2 */ (0x55, 0x00, 16 - 3, 0),      // if r0 != 0 goto fold
            /*  3 */ (0x30, 0x00, 0, 0),           // r0 = byte 0 (version, header length)
            /*  4 */ (0x77, 0x00, 0, 4),           // r0 >>= 4
            /*  5 */ (0x55, 0x00, 20 - 6, 4),      // if r0 != 4 goto queue 0
            /*  6 */ (0x20, 0x00, 0, 12),          // r0 = saddr
            /*  7 */ (0xbf, 0x07, 0, 0),           // r7 = r0
            /*  8 */ (0x20, 0x00, 0, 16),          // r0 = daddr
            /*  9 */ (0xaf, 0x07, 0, 0),           // r7 ^= r0
            /* 10 */ (0x30, 0x00, 0, 9),           // r0 = protocol
            /* 11 */ (0x15, 0x00, 13 - 12, 6),     // if r0 == TCP goto ports
            /* 12 */ (0x55, 0x00, 15 - 13, 17),    // if r0 != UDP goto done
            /* 13 */ (0x20, 0x00, 0, 20),          // r0 = source and destination port
            /* 14 */ (0xaf, 0x07, 0, 0),           // r7 ^= r0
            /* 15 */ (0xbf, 0x70, 0, 0),           // r0 = r7
            /* 16 */ (0xbf, 0x01, 0, 0),           // fold: r1 = r0
            /* 17 */ (0x77, 0x01, 0, 16),          // r1 >>= 16
            /* 18 */ (0xaf, 0x10, 0, 0),           // r0 ^= r1 (the kernel keeps the low 16 bits)
            /* 19 */ (0x95, 0x00, 0, 0),           // exit
            /* 20 */ (0xb7, 0x00, 0, 0),           // r0 = 0
            /* 21 */ (0x95, 0x00, 0, 0),           // exit
        ];
        byte[] bytes = new byte[program.Length * 8];
        for (int i = 0; i < program.Length; i++)
        {
            Span<byte> insn = bytes.AsSpan(i * 8, 8);
            insn[0] = program[i].Code;
            insn[1] = program[i].Regs;
            BinaryPrimitives.WriteInt16LittleEndian(insn[2..], program[i].Off);
            BinaryPrimitives.WriteInt32LittleEndian(insn[4..], program[i].Imm);
        }

        return bytes;
    }

    /// <summary>
    /// Loads the program and attaches it to the device of <paramref name="queue"/>; throws <see cref="LinuxException"/>
    /// (with the errno and the verifier's log) when the kernel refuses either.
    /// </summary>
    public static void Attach(SafeFileDescriptor queue, string device)
    {
        using SafeFileDescriptor program = Load(device);
        int fd = program.Fd;
        if (Linux.Interop.Libc.ioctl(queue, TUNSETSTEERINGEBPF, &fd) < 0)
        {
            throw new LinuxException($"TUNSETSTEERINGEBPF on '{device}'", Errno.Last);
        }
    }

    private static SafeFileDescriptor Load(string device)
    {
        byte[] insns = Assemble();
        byte[] license = Encoding.ASCII.GetBytes("Dual MIT/GPL\0");
        byte[] log = new byte[64 * 1024];
        byte* attr = stackalloc byte[BpfAttrSize];
        fixed (byte* program = insns)
        fixed (byte* licenseBytes = license)
        fixed (byte* logBytes = log)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                // union bpf_attr, BPF_PROG_LOAD: prog_type, insn_cnt, insns, license, log_level, log_size, log_buf, ..., prog_name.
                var a = new Span<byte>(attr, BpfAttrSize);
                a.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(a, BPF_PROG_TYPE_SOCKET_FILTER);
                BinaryPrimitives.WriteUInt32LittleEndian(a[4..], (uint)(insns.Length / 8));
                BinaryPrimitives.WriteUInt64LittleEndian(a[8..], (ulong)program);
                BinaryPrimitives.WriteUInt64LittleEndian(a[16..], (ulong)licenseBytes);
                if (attempt == 1)
                {
                    // The first load failed: again with the verifier's log, to say why.
                    BinaryPrimitives.WriteUInt32LittleEndian(a[24..], 1);
                    BinaryPrimitives.WriteUInt32LittleEndian(a[28..], (uint)log.Length);
                    BinaryPrimitives.WriteUInt64LittleEndian(a[32..], (ulong)logBytes);
                }

                Encoding.ASCII.GetBytes(Name).CopyTo(a.Slice(48, 15));
                long fd = Linux.Interop.Libc.syscall(SysBpf, BPF_PROG_LOAD, attr, BpfAttrSize);
                if (fd >= 0)
                {
                    return new SafeFileDescriptor((int)fd);
                }

                if (attempt == 1)
                {
                    int errno = Errno.Last;
                    int length = Array.IndexOf(log, (byte)0);
                    string text = Encoding.ASCII.GetString(log, 0, length < 0 ? log.Length : length).Trim();
                    throw new LinuxException($"loading the flow steering program for '{device}' (bpf BPF_PROG_LOAD){(text.Length == 0 ? string.Empty : $"; verifier log: {text}")}", errno);
                }
            }
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>__NR_bpf: 321 on x86_64, 280 on aarch64 (asm-generic).</summary>
    private static long SysBpf => RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 280 : 321;
}
