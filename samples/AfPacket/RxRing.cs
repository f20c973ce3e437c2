using System.Buffers;
using System.Buffers.Binary;
using static RouterHost.Samples.AfPacket.Interop.PacketSocketAbi;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// Walks a TPACKET_V3 receive ring: blocks in order, each handed to us by the kernel (block_status has TP_STATUS_USER),
/// its frames by tp_next_offset. Blocks walked to the end are given back (block_status = TP_STATUS_KERNEL) only by
/// <see cref="ReleaseWalked"/>, called at the start of the next read, because the packets of the last batch borrow their
/// bytes. Offsets come from the kernel but are checked anyway: a block whose frame list leaves the block is abandoned.
/// One reader thread; no allocation.
/// </summary>
internal sealed unsafe class RxRing
{
    private readonly byte* _base;
    private readonly int _blockSize;
    private readonly int _blockCount;
    private int _block;
    private bool _open;
    private int _remaining;
    private int _next;
    private int _release;
    private int _walked;

    /// <summary>A ring of <paramref name="blockCount"/> blocks of <paramref name="blockSize"/> bytes at <paramref name="ring"/>.</summary>
    public RxRing(byte* ring, int blockSize, int blockCount)
    {
        _base = ring;
        _blockSize = blockSize;
        _blockCount = blockCount;
    }

    /// <summary>Frames found malformed (their block was abandoned), for the caller to count.</summary>
    public long Abandoned { get; set; }

    /// <summary>Whether the block the walk waits for has been handed to us (poll first when not).</summary>
    public bool CurrentBlockReady => _open || (Volatile.Read(ref *(uint*)(_base + ((long)_block * _blockSize) + BlockDesc.block_status)) & TP_STATUS_USER) != 0;

    /// <summary>
    /// The next frame: the offset of its tpacket3_hdr from the ring's start and how many bytes it may span (to the next
    /// frame or the block's end). False when the walk reached a block the kernel still owns.
    /// </summary>
    public bool TryNext(out long frame, out int span)
    {
        while (true)
        {
            long blockStart = (long)_block * _blockSize;
            if (!_open)
            {
                uint status = Volatile.Read(ref *(uint*)(_base + blockStart + BlockDesc.block_status));
                if ((status & TP_STATUS_USER) == 0)
                {
                    frame = 0;
                    span = 0;
                    return false;
                }

                _remaining = (int)Math.Min(*(uint*)(_base + blockStart + BlockDesc.num_pkts), int.MaxValue);
                _next = (int)Math.Min(*(uint*)(_base + blockStart + BlockDesc.offset_to_first_pkt), int.MaxValue);
                _open = true;
            }

            if (_remaining > 0 && _next >= 48 && _next <= _blockSize - TPACKET3_HDR_ALIGNED - 20)
            {
                uint nextOffset = *(uint*)(_base + blockStart + _next + Tpacket3Hdr.tp_next_offset);
                frame = blockStart + _next;
                _remaining--;
                if (_remaining == 0)
                {
                    span = _blockSize - _next;
                }
                else if (nextOffset >= TPACKET3_HDR_ALIGNED && nextOffset <= (uint)(_blockSize - _next))
                {
                    span = (int)nextOffset;
                    _next += (int)nextOffset;
                }
                else
                {
                    Abandoned += _remaining;
                    _remaining = 0;
                    span = _blockSize - _next;
                }

                return true;
            }

            if (_remaining > 0)
            {
                Abandoned += _remaining;
            }

            // This block is walked: it goes back to the kernel at the next ReleaseWalked.
            _open = false;
            _walked++;
            _block = _block + 1 == _blockCount ? 0 : _block + 1;
        }
    }

    /// <summary>Gives every block walked to its end back to the kernel.</summary>
    public void ReleaseWalked()
    {
        for (; _walked > 0; _walked--)
        {
            Volatile.Write(ref *(uint*)(_base + ((long)_release * _blockSize) + BlockDesc.block_status), TP_STATUS_KERNEL);
            _release = _release + 1 == _blockCount ? 0 : _release + 1;
        }
    }
}

/// <summary>A <see cref="Memory{T}"/> over the mapped ring, so packets can borrow slices of it without copying.</summary>
internal sealed unsafe class RingMemory(byte* pointer, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(pointer, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}

/// <summary>Reads the fields of a tpacket3_hdr frame the backend uses.</summary>
internal static class RingFrame
{
    /// <summary>Reads tp_snaplen, tp_len, tp_status, tp_mac and sll_pkttype; false when the frame's window is too short for them.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out int snapLength, out int length, out uint status, out int mac, out byte packetType)
    {
        snapLength = length = mac = 0;
        status = 0;
        packetType = 0;
        if (frame.Length < TPACKET3_HDR_ALIGNED + 20)
        {
            return false;
        }

        snapLength = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(frame[Tpacket3Hdr.tp_snaplen..]), int.MaxValue);
        length = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(frame[Tpacket3Hdr.tp_len..]), int.MaxValue);
        status = BinaryPrimitives.ReadUInt32LittleEndian(frame[Tpacket3Hdr.tp_status..]);
        mac = BinaryPrimitives.ReadUInt16LittleEndian(frame[Tpacket3Hdr.tp_mac..]);
        packetType = frame[Tpacket3Hdr.sll_pkttype];
        return true;
    }
}
