using System.Text;
using RouterHost.Linux;
using static RouterHost.Plugins.AfXdp.Interop.Bpf;
using static RouterHost.Plugins.AfXdp.Internal.BpfInstruction;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// Our XDP program, assembled here and loaded with bpf(BPF_PROG_LOAD) — 26 instructions, no libbpf, no ELF, no
/// compiler at run time (libbpf from Debian would bring an object file to ship and a native dependency for what is
/// a few lines; decided against). What it does, per frame:
/// <code>
/// shorter than an Ethernet header          → XDP_PASS
/// ethertype IPv4                           → redirect to the XSKMAP entry of ctx->rx_queue_index
/// ethertype IPv6, ICMPv6 type 133..137     → XDP_PASS (router/neighbour solicitation and advertisement, redirect)
/// ethertype IPv6, anything else            → redirect
/// anything else (ARP, VLAN-tagged, LLDP…)  → XDP_PASS
/// </code>
/// The redirect's flags are XDP_PASS, so a queue without a socket in the map hands its frames to the kernel. IPv6
/// frames too short to hold the ICMPv6 type are redirected (RouterHost counts them as malformed).
/// </summary>
internal static class XdpProgram
{
    /// <summary>The program's name as bpftool and <c>ip link</c> show it (at most 15 bytes).</summary>
    public const string Name = "routerhost_xsk";

    // The kernel consults the license only for GPL-only helpers; bpf_redirect_map is not one.
    private const string License = "Dual MIT/GPL";
    private const int LogSize = 256 * 1024;

    private const byte R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6;
    private const int EthernetHeader = 14;
    private const int Ipv6NextHeader = EthernetHeader + 6;
    private const int IcmpV6Type = EthernetHeader + 40;
    private const int IcmpV6 = 58;

    /// <summary>The instructions, with <paramref name="mapFd"/> as the XSKMAP.</summary>
    public static bpf_insn[] Assemble(int mapFd)
    {
        // Ethertypes are loaded as little-endian u16 from network order: 08 00 reads 0x0008, 86 DD reads 0xDD86.
        const int ipv4 = 0x0008;
        const int ipv6 = 0xDD86;
        var (map1, map2) = LoadMapFd(R1, mapFd);
        bpf_insn[] program =
        [
            /*  0 */ Mov64Reg(R6, R1),
            /*  1 */ LoadMemory(BPF_W, R2, R6, xdp_md_data),
            /*  2 */ LoadMemory(BPF_W, R3, R6, xdp_md_data_end),
            /*  3 */ Mov64Reg(R4, R2),
            /*  4 */ Add64Imm(R4, EthernetHeader),
            /*  5 */ JumpReg(BPF_JGT, R4, R3, 24 - 6),               // too short → pass
            /*  6 */ LoadMemory(BPF_H, R5, R2, 12),
            /*  7 */ JumpImm(BPF_JEQ, R5, ipv4, 18 - 8),             // IPv4 → redirect
            /*  8 */ JumpImm(BPF_JNE, R5, ipv6, 24 - 9),             // not IPv6 → pass
            /*  9 */ Mov64Reg(R4, R2),
            /* 10 */ Add64Imm(R4, IcmpV6Type + 1),
            /* 11 */ JumpReg(BPF_JGT, R4, R3, 18 - 12),              // no room for an ICMPv6 type → redirect
            /* 12 */ LoadMemory(BPF_B, R5, R2, Ipv6NextHeader),
            /* 13 */ JumpImm(BPF_JNE, R5, IcmpV6, 18 - 14),          // not ICMPv6 → redirect
            /* 14 */ LoadMemory(BPF_B, R5, R2, IcmpV6Type),
            /* 15 */ JumpImm(BPF_JLT, R5, 133, 18 - 16),             // below router solicitation → redirect
            /* 16 */ JumpImm(BPF_JGT, R5, 137, 18 - 17),             // above redirect → redirect
            /* 17 */ Jump(24 - 18),                                  // neighbour discovery → pass
            /* 18 */ LoadMemory(BPF_W, R2, R6, xdp_md_rx_queue_index),
            /* 19 */ map1,
            /* 20 */ map2,
            /* 21 */ Mov64Imm(R3, XDP_PASS),                         // no socket on this queue → pass
            /* 22 */ Call(BPF_FUNC_redirect_map),
            /* 23 */ Exit(),
            /* 24 */ Mov64Imm(R0, XDP_PASS),
            /* 25 */ Exit(),
        ];
        return program;
    }

    /// <summary>
    /// Loads the program for <paramref name="map"/>. On failure the exception carries the errno and the verifier's log.
    /// </summary>
    public static SafeFileDescriptor Load(SafeFileDescriptor map, string device)
    {
        bool added = false;
        try
        {
            map.DangerousAddRef(ref added);
            return Load(Assemble(map.Fd), device);
        }
        finally
        {
            if (added)
            {
                map.DangerousRelease();
            }
        }
    }

    /// <summary>Loads <paramref name="program"/> as an XDP program; on failure, loads it again with the verifier's log to say why.</summary>
    internal static unsafe SafeFileDescriptor Load(bpf_insn[] program, string device)
    {
        byte[] license = Encoding.ASCII.GetBytes(License + "\0");
        byte[] name = Encoding.ASCII.GetBytes(Name);
        fixed (bpf_insn* insns = program)
        fixed (byte* licenseBytes = license)
        {
            var attr = new bpf_attr_prog_load
            {
                prog_type = BPF_PROG_TYPE_XDP,
                insn_cnt = (uint)program.Length,
                insns = (ulong)insns,
                license = (ulong)licenseBytes,
                expected_attach_type = BPF_XDP,
            };
            CopyName(name, attr.prog_name);
            long fd = bpf(BPF_PROG_LOAD, ref attr);
            if (fd >= 0)
            {
                return new SafeFileDescriptor((int)fd);
            }

            int errno = Errno.Last;
            byte[] log = new byte[LogSize];
            fixed (byte* logBytes = log)
            {
                attr.log_level = 1;
                attr.log_size = LogSize;
                attr.log_buf = (ulong)logBytes;
                fd = bpf(BPF_PROG_LOAD, ref attr);
                if (fd >= 0)
                {
                    return new SafeFileDescriptor((int)fd);
                }
            }

            int length = Array.IndexOf(log, (byte)0);
            string text = Encoding.ASCII.GetString(log, 0, length < 0 ? log.Length : length).Trim();
            throw new LinuxException(
                $"loading the XDP program for '{device}' (bpf BPF_PROG_LOAD{Hint(errno)}){(text.Length == 0 ? string.Empty : $"; verifier log:{Environment.NewLine}{text}{Environment.NewLine}")}",
                errno);
        }
    }

    internal static unsafe void CopyName(byte[] name, byte* destination)
    {
        for (int i = 0; i < name.Length && i < BPF_OBJ_NAME_LEN - 1; i++)
        {
            destination[i] = name[i];
        }
    }

    private static string Hint(int errno) => errno switch
    {
        Errno.EPERM => ": needs CAP_BPF and CAP_NET_ADMIN (root)",
        _ => string.Empty,
    };
}
