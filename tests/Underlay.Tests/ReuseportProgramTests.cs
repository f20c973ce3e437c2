using RouterHost.Linux;
using RouterHost.Underlay.Internal;
using static RouterHost.Linux.Interop.Filter;

namespace RouterHost.Underlay.Tests;

/// <summary>The shape of the group's steering program; what it does is proven on real sockets in <see cref="UdpSocketGroupTests"/>.</summary>
public sealed class ReuseportProgramTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    [InlineData(UdpSocket.MaxGroupSockets)]
    public void Every_path_ends_in_a_return_of_the_hash_modulo_the_group_size_and_every_jump_lands_inside(int sockets)
    {
        Interop.Filter.sock_filter[] program = ReuseportProgram.Build(sockets, seed: 0x5eed);
        Assert.InRange(program.Length, 1, BPF_MAXINSNS);
        Assert.Equal(BPF_RET | BPF_A, program[^1].code);
        Assert.Equal(BPF_ALU | BPF_MOD | BPF_K, program[^2].code);
        Assert.Equal((uint)sockets, program[^2].k);
        for (int i = 0; i < program.Length; i++)
        {
            int cls = program[i].code & 0x07;
            Assert.True(cls != BPF_RET || i == program.Length - 1, $"instruction {i} returns early");
            if (cls == BPF_JMP)
            {
                int longest = (program[i].code & 0xf0) == BPF_JA ? (int)program[i].k : Math.Max(program[i].jt, program[i].jf);
                Assert.InRange(i + 1 + longest, 0, program.Length - 1);
            }
        }
    }

    [Fact]
    public void A_group_of_no_sockets_or_more_than_a_reuseport_group_holds_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ReuseportProgram.Build(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReuseportProgram.Build(65536));
    }
}
