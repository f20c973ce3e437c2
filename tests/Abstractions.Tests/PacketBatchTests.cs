using FsCheck;
using FsCheck.Fluent;

namespace RouterHost.Abstractions.Tests;

public sealed class PacketBatchTests
{
    [Fact]
    public void Append_borrows_the_window_and_resets_metadata()
    {
        var batch = new PacketBatch(4);
        byte[] buffer = new byte[64];
        buffer[10] = 0x45;
        ref Packet p = ref batch.Append(buffer, 10, 20);
        Assert.Equal(0x45, p.Data[0]);
        p.Data[1] = 7;
        Assert.Equal(7, buffer[11]); // borrowed, not copied
        Assert.Equal(PacketVerdict.Forward, p.Verdict);
        Assert.Equal(GsoType.None, p.Gso.Type);
        Assert.True(p.Egress.IsNone);
    }

    [Fact]
    public void Append_refuses_windows_outside_the_buffer_and_a_full_batch()
    {
        var batch = new PacketBatch(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Append(new byte[10], 5, 6));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch.Append(new byte[10], 11, 0));
        batch.Append(new byte[10], 0, 10);
        Assert.True(batch.IsFull);
        Assert.Throws<InvalidOperationException>(() => batch.Append(new byte[10], 0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => batch[1].Length);
    }

    [Fact]
    public void RemoveDecided_keeps_forwarded_packets_in_order()
    {
        Gen<PacketVerdict[]> verdicts = Gen.ArrayOf(Gen.Elements(PacketVerdict.Forward, PacketVerdict.Dropped, PacketVerdict.Rejected, PacketVerdict.Consumed))
            .Where(v => v.Length <= 64);
        Prop.ForAll(verdicts.ToArbitrary(), v =>
        {
            var batch = new PacketBatch(64);
            for (int i = 0; i < v.Length; i++)
            {
                ref Packet p = ref batch.Append(new byte[4], 0, 4);
                p.Mark = (uint)i;
                p.Verdict = v[i];
            }

            int removed = batch.RemoveDecided();
            uint[] expected = Enumerable.Range(0, v.Length).Where(i => v[i] == PacketVerdict.Forward).Select(i => (uint)i).ToArray();
            Assert.Equal(v.Length - expected.Length, removed);
            Assert.Equal(expected, batch.AsSpan().ToArray().Select(p => p.Mark).ToArray());
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Emitted_packets_come_from_a_pinned_arena_with_head_and_tail_room_until_it_is_full()
    {
        var batch = new PacketBatch(4, emitDepth: 1);
        PacketBatch replies = batch.Emitted(PacketDirection.Inbound)!;
        Assert.Equal(PacketDirection.Inbound, replies.Direction);
        Assert.Null(replies.Emitted(PacketDirection.Inbound)); // depth 1: replies cannot emit

        Assert.True(replies.TryAppendOwned(100, out int index));
        ref Packet reply = ref replies[index];
        Assert.Equal(PacketBatch.EmitHeadroom, reply.Headroom);
        Assert.True(reply.Tailroom >= PacketBatch.EmitTailroom);
        Assert.True(reply.Data.ToArray().All(b => b == 0));

        // Four slots' worth of arena: big packets run it out before the slots do.
        Assert.False(replies.TryAppendOwned(4 * PacketBatch.EmitBytesPerSlot, out _));
        Assert.True(replies.TryAppendOwned(10, out _));
        Assert.True(replies.TryAppendOwned(10, out _));
        Assert.True(replies.TryAppendOwned(10, out _));
        Assert.False(replies.TryAppendOwned(10, out _)); // capacity reached
        Assert.False(replies.TryAppendOwned(-1, out _));

        batch.Clear();
        Assert.Equal(0, replies.Count);
        Assert.True(replies.TryAppendOwned(100, out _));
    }

    [Fact]
    public void A_batch_without_emit_depth_offers_no_emit_batches_and_plain_batches_have_no_arena()
    {
        var batch = new PacketBatch(4, emitDepth: 0);
        Assert.Null(batch.Emitted(PacketDirection.Outbound));
        Assert.False(batch.TryAppendOwned(10, out _));
    }

    [Fact]
    public void Read_drops_are_tallied_by_reason_and_cleared_with_the_batch()
    {
        var batch = new PacketBatch(4);
        batch.ReadDrops.Add(DropReason.Malformed);
        batch.ReadDrops.Add(DropReason.Malformed, 2);
        batch.ReadDrops.Add(DropReason.TooLarge);
        Assert.Equal(4, batch.ReadDrops.Total);
        Assert.Equal(3, batch.ReadDrops[DropReason.Malformed]);
        Assert.Equal(2, batch.ReadDrops.ReasonCount);
        Assert.Equal((DropReason.Malformed, 3L), batch.ReadDrops.GetEntry(0));
        batch.Clear();
        Assert.Equal(0, batch.ReadDrops.Total);
        Assert.Equal(0, batch.ReadDrops[DropReason.Malformed]);
    }
}
