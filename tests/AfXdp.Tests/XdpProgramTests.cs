using RouterHost.Linux;
using RouterHost.Plugins.AfXdp.Internal;
using static RouterHost.Plugins.AfXdp.Interop.Bpf;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// Our XDP program as the kernel runs it (BPF_PROG_TEST_RUN on crafted frames, with an AF_XDP socket bound on a veth
/// and in the map): IP to the socket, address resolution and everything else to the kernel.
/// </summary>
[NeedsRoot]
public sealed class XdpProgramTests
{
    private const int XDP_REDIRECT = 4;

    [Fact]
    public void The_program_loads_a_map_fd_calls_bpf_redirect_map_with_XDP_PASS_as_fallback_and_passes_by_default()
    {
        bpf_insn[] program = XdpProgram.Assemble(mapFd: 99);
        Assert.Equal(26, program.Length);
        Assert.Equal(BPF_LD | BPF_DW | BPF_IMM, program[19].code);
        Assert.Equal(1 | (BPF_PSEUDO_MAP_FD << 4), program[19].regs);
        Assert.Equal(99, program[19].imm);
        Assert.Equal(xdp_md_rx_queue_index, program[18].off);
        Assert.Equal(XDP_PASS, program[21].imm);
        Assert.Equal(BPF_FUNC_redirect_map, program[22].imm);
        Assert.Equal(XDP_PASS, program[24].imm);
    }

    public static TheoryData<string, byte[], int> Verdicts()
    {
        byte[] v4 = Frames.Ipv4Packet();
        byte[] v6 = Frames.Ipv6Packet();
        return new TheoryData<string, byte[], int>
        {
            { "IPv4", Frames.Ethernet(v4, 0x0800), XDP_REDIRECT },
            { "IPv6 UDP", Frames.Ethernet(v6, 0x86DD), XDP_REDIRECT },
            { "ICMPv6 echo request", Frames.Ethernet(Icmpv6(128), 0x86DD), XDP_REDIRECT },
            { "MLDv1 done", Frames.Ethernet(Icmpv6(132), 0x86DD), XDP_REDIRECT },
            { "router solicitation", Frames.Ethernet(Icmpv6(133), 0x86DD), XDP_PASS },
            { "router advertisement", Frames.Ethernet(Icmpv6(134), 0x86DD), XDP_PASS },
            { "neighbour solicitation", Frames.Ethernet(Icmpv6(135), 0x86DD), XDP_PASS },
            { "neighbour advertisement", Frames.Ethernet(Icmpv6(136), 0x86DD), XDP_PASS },
            { "redirect", Frames.Ethernet(Icmpv6(137), 0x86DD), XDP_PASS },
            { "ICMPv6 type 138", Frames.Ethernet(Icmpv6(138), 0x86DD), XDP_REDIRECT },
            { "truncated IPv6 (RouterHost counts it)", Frames.Ethernet(v6[..20], 0x86DD), XDP_REDIRECT },
            { "ARP", Frames.Ethernet(new byte[28], 0x0806), XDP_PASS },
            { "802.1Q-tagged IPv4", Frames.Ethernet([0x00, 0x05, 0x08, 0x00, .. v4], 0x8100), XDP_PASS },
            { "LLDP", Frames.Ethernet(new byte[40], 0x88CC), XDP_PASS },
            { "a bare Ethernet header", Frames.Ethernet([], 0x0800), XDP_REDIRECT },
        };
    }

    [Theory]
    [MemberData(nameof(Verdicts))]
    public void The_kernel_running_the_program_redirects_IP_and_passes_address_resolution_and_the_rest(string what, byte[] frame, int expected)
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xprog");
        using var veth = VethPair.Create(ns, "p0", ns, "p1");
        ns.Run(() =>
        {
            using var netlink = new Netlink.RtnetlinkClient();
            int ifindex = netlink.GetLinkIndex("p0");
            using SafeFileDescriptor map = XskMap.Create(1, "p0");
            using SafeFileDescriptor program = XdpProgram.Load(map, "p0");
            var layout = new UmemLayout(4096, 0, 64, 64);
            using XskSocket socket = XskSocket.Open(ifindex, 0, new XskSocketOptions(layout, 64, 64, 64, 64, XskBindMode.Copy, NeedWakeup: true), "p0");
            XskMap.Set(map, 0, socket.Fd, "p0");
            Assert.True(BpfTestRun.Run(program, frame) == expected, $"{what}: expected {expected}, got {BpfTestRun.Run(program, frame)}");
        });
    }

    [Fact]
    public void A_queue_without_a_socket_hands_its_IP_frames_to_the_kernel()
    {
        Requires.NetworkNamespaces();
        using SafeFileDescriptor map = XskMap.Create(4, "none");
        using SafeFileDescriptor program = XdpProgram.Load(map, "none");
        Assert.Equal(XDP_PASS, BpfTestRun.Run(program, Frames.Ipv4Frame()));
    }

    [Fact]
    public void A_program_the_verifier_refuses_fails_to_load_with_the_verifiers_log_in_the_message()
    {
        Requires.NetworkNamespaces();
        // Reads the packet without checking it against data_end first.
        bpf_insn[] unchecked_read =
        [
            BpfInstruction.LoadMemory(BPF_W, 2, 1, xdp_md_data),
            BpfInstruction.LoadMemory(BPF_H, 0, 2, 12),
            BpfInstruction.Exit(),
        ];
        LinuxException failure = Assert.Throws<LinuxException>(() => XdpProgram.Load(unchecked_read, "test0"));
        Assert.Equal(Errno.EACCES, failure.ErrorNumber);
        Assert.Contains("verifier log:", failure.Message, StringComparison.Ordinal);
        Assert.Contains("invalid access to packet", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>An IPv6 packet whose next header is ICMPv6 with the given type (and a zeroed 8-byte ICMP body).</summary>
    private static byte[] Icmpv6(byte type)
    {
        byte[] packet = new byte[48];
        packet[0] = 0x60;
        packet[5] = 8;       // payload length
        packet[6] = 58;      // next header: ICMPv6
        packet[7] = 255;     // hop limit
        packet[40] = type;
        return packet;
    }
}
