using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static RouterHost.Samples.AfPacket.Interop.PacketSocketAbi;

namespace RouterHost.Samples.AfPacket.Tests;

public sealed unsafe class RxRingTests
{
    private const int BlockSize = 4096;
    private const int Blocks = 3;

    private readonly byte[] _memory = GC.AllocateArray<byte>(BlockSize * Blocks, pinned: true);

    private byte* Base => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_memory));

    [Fact]
    public void Frames_of_ready_blocks_come_in_order_and_walked_blocks_go_back_to_the_kernel_only_when_released()
    {
        Block(0, TP_STATUS_USER, (64, 128), (192, 0));
        Block(1, TP_STATUS_USER, (64, 0));
        var ring = new RxRing(Base, BlockSize, Blocks);

        Assert.True(ring.TryNext(out long first, out int firstSpan));
        Assert.True(ring.TryNext(out long second, out int secondSpan));
        Assert.True(ring.TryNext(out long third, out _));
        Assert.False(ring.TryNext(out _, out _));
        Assert.Equal(64, first);
        Assert.Equal(128, firstSpan);
        Assert.Equal(192, second);
        Assert.Equal(BlockSize - 192, secondSpan);
        Assert.Equal(BlockSize + 64, third);
        Assert.Equal(TP_STATUS_USER, Status(0));

        ring.ReleaseWalked();

        Assert.Equal(TP_STATUS_KERNEL, Status(0));
        Assert.Equal(TP_STATUS_KERNEL, Status(1));
        Assert.Equal(TP_STATUS_KERNEL, Status(2));
        Assert.False(ring.CurrentBlockReady);
    }

    [Fact]
    public void The_walk_waits_at_a_block_the_kernel_still_owns_and_wraps_around()
    {
        Block(0, TP_STATUS_USER, (64, 0));
        var ring = new RxRing(Base, BlockSize, Blocks);
        Assert.True(ring.TryNext(out _, out _));
        Assert.False(ring.TryNext(out _, out _));
        ring.ReleaseWalked();

        Block(1, TP_STATUS_USER, (64, 0));
        Block(2, TP_STATUS_USER, (64, 0));
        Block(0, TP_STATUS_USER, (80, 0));
        Assert.True(ring.TryNext(out long a, out _));
        Assert.True(ring.TryNext(out long b, out _));
        Assert.True(ring.TryNext(out long c, out _));
        Assert.Equal([BlockSize + 64, (2 * BlockSize) + 64, 80], new[] { a, b, c });
    }

    [Theory]
    [InlineData(8, 0)]             // first frame inside the block header
    [InlineData(BlockSize - 8, 0)] // first frame too close to the end
    [InlineData(64, 4)]            // next offset shorter than a frame header
    [InlineData(64, BlockSize)]    // next offset leaving the block
    public void A_block_whose_frame_list_leaves_it_is_abandoned_and_counted(int firstOffset, int nextOffset)
    {
        Block(0, TP_STATUS_USER, (firstOffset, nextOffset), (firstOffset + 64, 0));
        Block(1, TP_STATUS_USER, (64, 0));
        var ring = new RxRing(Base, BlockSize, Blocks);

        var frames = new List<long>();
        while (ring.TryNext(out long frame, out _))
        {
            frames.Add(frame);
        }

        Assert.Contains(BlockSize + 64, frames);
        Assert.True(ring.Abandoned >= 1);
        Assert.All(frames, f => Assert.InRange(f, 0, (BlockSize * Blocks) - 68));
    }

    private uint Status(int block) => BinaryPrimitives.ReadUInt32LittleEndian(_memory.AsSpan((block * BlockSize) + BlockDesc.block_status));

    private void Block(int block, uint status, params (int Offset, int Next)[] frames)
    {
        Span<byte> b = _memory.AsSpan(block * BlockSize, BlockSize);
        b.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(b[BlockDesc.num_pkts..], (uint)frames.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(b[BlockDesc.offset_to_first_pkt..], (uint)frames[0].Offset);
        foreach ((int offset, int next) in frames)
        {
            if (offset >= 0 && offset + 4 <= BlockSize)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b[offset..], (uint)next);
            }
        }

        BinaryPrimitives.WriteUInt32LittleEndian(b[BlockDesc.block_status..], status);
    }
}
