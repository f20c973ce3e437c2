using FsCheck;
using FsCheck.Fluent;

namespace RouterHost.Abstractions.Tests;

public sealed class PacketTests
{
    private static Packet Make(int bufferLength, int offset, int length)
    {
        var p = default(Packet);
        p.Buffer = new byte[bufferLength];
        p.Offset = offset;
        p.Length = length;
        return p;
    }

    [Fact]
    public void A_packet_with_its_next_hop_still_fits_one_cache_line()
    {
        // Batches copy packets while compacting; the 1.2 next-hop id was added into padding, not a new line.
        Assert.True(System.Runtime.CompilerServices.Unsafe.SizeOf<Packet>() <= 64, $"Packet is {System.Runtime.CompilerServices.Unsafe.SizeOf<Packet>()} bytes");
    }

    [Fact]
    public void A_packet_appended_to_a_batch_starts_without_a_next_hop()
    {
        var batch = new PacketBatch(2, emitDepth: 0);
        ref Packet first = ref batch.Append(new byte[10], 0, 10);
        first.NextHop = 7;
        batch.Clear();
        Assert.Equal(0, batch.Append(new byte[10], 0, 10).NextHop);
    }

    [Fact]
    public void Prepend_grows_into_headroom_and_refuses_beyond_it()
    {
        Packet p = Make(100, 16, 50);
        Assert.True(p.TryPrepend(16));
        Assert.Equal(0, p.Offset);
        Assert.Equal(66, p.Length);
        Assert.False(p.TryPrepend(1));
        Assert.False(p.TryPrepend(-1));
    }

    [Fact]
    public void Append_grows_into_tailroom_and_refuses_beyond_it()
    {
        Packet p = Make(100, 10, 50);
        Assert.Equal(40, p.Tailroom);
        Assert.True(p.TryAppend(40));
        Assert.False(p.TryAppend(1));
        Assert.Equal(100, p.Offset + p.Length);
    }

    [Fact]
    public void Verdicts_record_their_reason()
    {
        Packet p = Make(10, 0, 10);
        Assert.True(p.IsForwarded);
        p.Drop(DropReason.Malformed);
        Assert.Equal(PacketVerdict.Dropped, p.Verdict);
        Assert.Equal(DropReason.Malformed, p.DropReason);
        p.Reject(DropReason.TooLarge);
        Assert.Equal(PacketVerdict.Rejected, p.Verdict);
        p.Consume();
        Assert.Equal(PacketVerdict.Consumed, p.Verdict);
    }

    [Fact]
    public void Window_operations_never_leave_the_buffer()
    {
        Gen<(int Buffer, int Offset, int Length, int[] Ops)> gen =
            from buffer in Gen.Choose(0, 300)
            from offset in Gen.Choose(0, buffer)
            from length in Gen.Choose(0, buffer - offset)
            from ops in Gen.ArrayOf(Gen.Choose(-400, 400))
            select (buffer, offset, length, ops);

        Prop.ForAll(gen.ToArbitrary(), c =>
        {
            Packet p = Make(c.Buffer, c.Offset, c.Length);
            for (int i = 0; i < c.Ops.Length; i++)
            {
                int n = c.Ops[i];
                _ = (i % 4) switch
                {
                    0 => p.TryPrepend(n),
                    1 => p.TryTrimFront(n),
                    2 => p.TryAppend(n),
                    _ => p.TrySetLength(n),
                };
                Assert.InRange(p.Offset, 0, c.Buffer);
                Assert.InRange(p.Length, 0, c.Buffer - p.Offset);
                Assert.Equal(p.Length, p.Data.Length);
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }
}
