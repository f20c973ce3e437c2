using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using RouterHost.Samples.AfPacket.Interop;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// Frames waiting to be sent on one path of a queue (the write path or the self path), copied into a pinned buffer and
/// sent together with one <c>sendmmsg</c>. Frames the kernel refuses are counted (<see cref="Failed"/>) and skipped, so one
/// bad frame does not hold back the rest. One thread at a time; no allocation after construction.
/// </summary>
internal sealed unsafe class TxBatch
{
    private const int Alignment = 16;

    private readonly byte[] _buffer;
    private readonly Libc.mmsghdr[] _messages;
    private readonly Libc.iovec[] _vectors;
    private readonly byte* _bufferPointer;
    private readonly Libc.mmsghdr* _messagePointer;
    private readonly Libc.iovec* _vectorPointer;
    private int _count;
    private int _used;

    /// <summary>A batch of up to <paramref name="messages"/> frames in <paramref name="bytes"/> bytes.</summary>
    public TxBatch(int messages, int bytes)
    {
        _buffer = GC.AllocateArray<byte>(bytes, pinned: true);
        _messages = GC.AllocateArray<Libc.mmsghdr>(messages, pinned: true);
        _vectors = GC.AllocateArray<Libc.iovec>(messages, pinned: true);
        _bufferPointer = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_buffer));
        _messagePointer = (Libc.mmsghdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_messages));
        _vectorPointer = (Libc.iovec*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_vectors));
    }

    /// <summary>How many frames wait.</summary>
    public int Count => _count;

    /// <summary>The largest frame the buffer takes.</summary>
    public int MaxFrame => _buffer.Length;

    /// <summary>Frames the kernel refused since the last <see cref="TakeFailed"/>.</summary>
    public long Failed { get; private set; }

    /// <summary>The errno of the last refusal (for the status of the queue).</summary>
    public int LastError { get; private set; }

    /// <summary>Room for a frame of <paramref name="length"/> bytes; false when the batch is full (send it first).</summary>
    public bool TryReserve(int length, out Span<byte> frame)
    {
        int start = (_used + Alignment - 1) & ~(Alignment - 1);
        if (_count == _messages.Length || length > _buffer.Length - start)
        {
            frame = default;
            return false;
        }

        frame = new Span<byte>(_bufferPointer + start, length);
        Libc.iovec* vector = _vectorPointer + _count;
        vector->iov_base = _bufferPointer + start;
        vector->iov_len = (nuint)length;
        Libc.mmsghdr* message = _messagePointer + _count;
        *message = default;
        message->msg_hdr.msg_iov = vector;
        message->msg_hdr.msg_iovlen = 1;
        _used = start + length;
        _count++;
        return true;
    }

    /// <summary>Takes back the frame reserved last (it could not be filled).</summary>
    public void Unreserve()
    {
        if (_count > 0)
        {
            _count--;
            _used = _count == 0 ? 0 : (int)((byte*)_vectorPointer[_count - 1].iov_base - _bufferPointer) + (int)_vectorPointer[_count - 1].iov_len;
        }
    }

    /// <summary>Sends every waiting frame on <paramref name="fd"/>; returns how many the kernel refused.</summary>
    public int Send(SafeFd fd)
    {
        int refused = 0;
        int sent = 0;
        bool added = false;
        fd.DangerousAddRef(ref added);
        try
        {
            while (sent < _count)
            {
                int result = Libc.sendmmsg(fd.Value, _messagePointer + sent, (uint)(_count - sent), 0);
                if (result > 0)
                {
                    sent += result;
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (result < 0 && errno == Libc.EINTR)
                {
                    continue;
                }

                // The first frame left was refused: count it and go on with the rest.
                LastError = errno;
                refused++;
                sent++;
            }
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }

        _count = 0;
        _used = 0;
        Failed += refused;
        return refused;
    }

    /// <summary>Adds the refusals counted so far to <paramref name="drops"/> and resets them.</summary>
    public void TakeFailed(DropTally drops)
    {
        if (Failed != 0)
        {
            drops.Add(AfPacketDropReasons.SendFailed, Failed);
            Failed = 0;
        }
    }
}
