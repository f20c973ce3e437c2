using static RouterHost.Plugins.AfXdp.Interop.Bpf;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>Builders for the eBPF instructions our XDP program uses (struct bpf_insn encodings, as in linux/filter.h).</summary>
internal static class BpfInstruction
{
    /// <summary>dst = src (64-bit).</summary>
    public static bpf_insn Mov64Reg(byte dst, byte src) => Make(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);

    /// <summary>dst = imm (64-bit, sign-extended).</summary>
    public static bpf_insn Mov64Imm(byte dst, int imm) => Make(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm);

    /// <summary>dst += imm (64-bit).</summary>
    public static bpf_insn Add64Imm(byte dst, int imm) => Make(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm);

    /// <summary>dst = *(size *)(src + off), size one of BPF_B, BPF_H, BPF_W.</summary>
    public static bpf_insn LoadMemory(byte size, byte dst, byte src, short off) => Make((byte)(BPF_LDX | BPF_MEM | size), dst, src, off, 0);

    /// <summary>if (dst op src) goto pc + 1 + off.</summary>
    public static bpf_insn JumpReg(byte op, byte dst, byte src, short off) => Make((byte)(BPF_JMP | op | BPF_X), dst, src, off, 0);

    /// <summary>if (dst op imm) goto pc + 1 + off.</summary>
    public static bpf_insn JumpImm(byte op, byte dst, int imm, short off) => Make((byte)(BPF_JMP | op | BPF_K), dst, 0, off, imm);

    /// <summary>goto pc + 1 + off.</summary>
    public static bpf_insn Jump(short off) => Make(BPF_JMP | BPF_JA, 0, 0, off, 0);

    /// <summary>call helper <paramref name="function"/>.</summary>
    public static bpf_insn Call(int function) => Make(BPF_JMP | BPF_CALL, 0, 0, 0, function);

    /// <summary>return r0.</summary>
    public static bpf_insn Exit() => Make(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

    /// <summary>dst = the map of file descriptor <paramref name="mapFd"/>: BPF_LD_MAP_FD, two instructions.</summary>
    public static (bpf_insn First, bpf_insn Second) LoadMapFd(byte dst, int mapFd) =>
        (Make(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, mapFd), Make(0, 0, 0, 0, 0));

    private static bpf_insn Make(int code, byte dst, byte src, short off, int imm) =>
        new() { code = (byte)code, regs = (byte)((dst & 0x0F) | ((src & 0x0F) << 4)), off = off, imm = imm };
}
