using System.Security.Cryptography;
using RouterHost.Linux;
using static RouterHost.Linux.Interop.Filter;

namespace RouterHost.Underlay.Internal;

/// <summary>
/// The classic BPF program a <see cref="UdpSocket"/> group attaches with <c>SO_ATTACH_REUSEPORT_CBPF</c>: it returns
/// <c>hash(source address, source port) mod n</c>, an index into the first <c>n</c> sockets of the group — the
/// router's own, which joined first. A socket another process adds later is appended at index <c>n</c> or beyond and
/// is never chosen (an index out of range would make the kernel fall back to its hash over every socket, so the
/// program never returns one). One flow (one peer) always gets the same socket, so its datagrams stay in order.
/// </summary>
/// <remarks>
/// The hash is computed from the packet, not taken from <c>SKF_AD_RXHASH</c>: at this point <c>skb->hash</c> is 0 for
/// datagrams arriving over veth and loopback (measured on 6.18), which would send every flow to socket 0. The source
/// address (every word of an IPv6 one) and port are folded with XOR, mixed with a per-process seed (so a sender cannot
/// aim its flows at one socket from outside), and finished with MurmurHash3's 32-bit mixer. The version nibble picks
/// the layout, so a dual-stack IPv6 socket hashes its IPv4 datagrams too; an IPv6 datagram's port is read right after
/// the fixed header (with extension headers the hash reads other bytes, still the same for every datagram of the flow).
/// A load outside the packet ends a classic program with 0: socket 0, one of ours.
/// </remarks>
internal static class ReuseportProgram
{
    private static readonly uint s_seed = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(sizeof(uint)));

    /// <summary>The program for a group of <paramref name="sockets"/> sockets (1 to 65535).</summary>
    public static Interop.Filter.sock_filter[] Build(int sockets) => Build(sockets, s_seed);

    internal static Interop.Filter.sock_filter[] Build(int sockets, uint seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sockets, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sockets, ushort.MaxValue);
        Interop.Filter.sock_filter[] v4 =
        [
            Op(BPF_LDX | BPF_B | BPF_MSH, SKF_NET_OFF),         // X = IPv4 header length
            Op(BPF_LD | BPF_H | BPF_IND, SKF_NET_OFF),          // A = UDP source port
            Op(BPF_MISC | BPF_TAX, 0),
            Op(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),     // A = source address
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
        ];
        Interop.Filter.sock_filter[] v6 =
        [
            Op(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 8),      // the source address, word by word
            Op(BPF_MISC | BPF_TAX, 0),
            Op(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 12),
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
            Op(BPF_MISC | BPF_TAX, 0),
            Op(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 16),
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
            Op(BPF_MISC | BPF_TAX, 0),
            Op(BPF_LD | BPF_W | BPF_ABS, SKF_NET_OFF + 20),
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
            Op(BPF_MISC | BPF_TAX, 0),
            Op(BPF_LD | BPF_H | BPF_ABS, SKF_NET_OFF + 40),     // the UDP source port after the fixed header
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
        ];
        Interop.Filter.sock_filter[] mix =
        [
            Op(BPF_ALU | BPF_XOR | BPF_K, (int)seed),
            Op(BPF_MISC | BPF_TAX, 0),                          // A ^= A >> 16
            Op(BPF_ALU | BPF_RSH | BPF_K, 16),
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
            Op(BPF_ALU | BPF_MUL | BPF_K, unchecked((int)0x85ebca6b)),
            Op(BPF_MISC | BPF_TAX, 0),                          // A ^= A >> 13
            Op(BPF_ALU | BPF_RSH | BPF_K, 13),
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
            Op(BPF_ALU | BPF_MUL | BPF_K, unchecked((int)0xc2b2ae35)),
            Op(BPF_MISC | BPF_TAX, 0),                          // A ^= A >> 16
            Op(BPF_ALU | BPF_RSH | BPF_K, 16),
            Op(BPF_ALU | BPF_XOR | BPF_X, 0),
            Op(BPF_ALU | BPF_MOD | BPF_K, sockets),
            Op(BPF_RET | BPF_A, 0),
        ];

        var program = new List<Interop.Filter.sock_filter>(3 + v4.Length + 1 + v6.Length + mix.Length)
        {
            Op(BPF_LD | BPF_B | BPF_ABS, SKF_NET_OFF),          // A = the IP version nibble
            Op(BPF_ALU | BPF_RSH | BPF_K, 4),
            Jump(BPF_JMP | BPF_JEQ | BPF_K, 6, (byte)(v4.Length + 1), 0),
        };
        program.AddRange(v4);
        program.Add(Op(BPF_JMP | BPF_JA, v6.Length));
        program.AddRange(v6);
        program.AddRange(mix);
        return [.. program];
    }

    private static Interop.Filter.sock_filter Op(int code, int k) => new() { code = (ushort)code, k = unchecked((uint)k) };

    private static Interop.Filter.sock_filter Jump(int code, int k, byte whenTrue, byte whenFalse) =>
        new() { code = (ushort)code, jt = whenTrue, jf = whenFalse, k = unchecked((uint)k) };
}
