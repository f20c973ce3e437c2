using System.Runtime.CompilerServices;
using RouterHost.Abstractions;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// The receive side of one AF_XDP socket, over its fill and RX rings and its UMEM (plain memory, so tests can
/// play the kernel with crafted descriptors).
/// <para>
/// Frames the kernel filled are read from the RX ring in a batch, checked, stripped of their Ethernet header and
/// appended to the <see cref="PacketBatch"/> as slices of the UMEM itself (no copy). Those frames stay ours until
/// the next <see cref="Recycle"/> (called at the start of the next read), which gives the whole batch back to the
/// fill ring at once. Nothing the kernel writes is trusted: every descriptor's address must name a receive frame
/// that the kernel holds (an ownership byte per frame, so a duplicated or stale descriptor can never put one frame
/// in two places), and its length must stay inside that frame; a bad descriptor is a counted drop, its frame (when
/// there is a frame to speak of) goes back to the fill ring, and no byte outside the UMEM is ever read.
/// </para>
/// Single-threaded (the queue's reader).
/// </summary>
internal sealed unsafe class XskReceiver
{
    private const byte Ours = 0;
    private const byte Kernels = 1;

    private readonly XskRing _fill;
    private readonly XskRing _rx;
    private readonly byte* _umem;
    private readonly Memory<byte> _memory;
    private readonly int _frameSize;
    private readonly int _frameShift;
    private readonly uint _frames;
    private readonly ulong _frameMask;
    private readonly ulong _localMac;
    private readonly byte[] _owner;
    private readonly uint[] _held;
    private int _heldCount;

    public XskReceiver(XskRing fill, XskRing rx, UmemMemoryManager umem, UmemLayout layout, ulong localMac)
    {
        if ((long)layout.RxFrames * layout.FrameSize > umem.Length)
        {
            throw new ArgumentException($"{layout.RxFrames} frames of {layout.FrameSize} bytes do not fit in a UMEM of {umem.Length} bytes.", nameof(layout));
        }

        _fill = fill;
        _rx = rx;
        _umem = umem.Pointer;
        _memory = umem.Memory;
        _frameSize = layout.FrameSize;
        _frameShift = layout.FrameShift;
        _frames = (uint)layout.RxFrames;
        _frameMask = (ulong)layout.FrameSize - 1;
        _localMac = localMac;
        _owner = new byte[layout.RxFrames];
        _held = new uint[layout.RxFrames];
        for (uint frame = 0; frame < _frames; frame++)
        {
            _held[_heldCount++] = frame;
        }
    }

    /// <summary>Frames we hold (the last batch's, and bad descriptors' frames) waiting to go back to the fill ring.</summary>
    public int HeldFrames => _heldCount;

    /// <summary>RX descriptors refused (bad address, duplicate, bad length, multi-buffer).</summary>
    public long BadDescriptors { get; private set; }

    /// <summary>Whether the kernel asked to be woken to take fill ring entries (zero-copy drivers with need-wakeup).</summary>
    public bool FillNeedsWakeup => _fill.NeedsWakeup;

    /// <summary>
    /// Gives every frame we hold back to the fill ring (once per read: the batch's packets are no longer in use).
    /// Returns how many went back.
    /// </summary>
    public int Recycle()
    {
        if (_heldCount == 0)
        {
            return 0;
        }

        uint count = _fill.Reserve((uint)_heldCount, out uint index);
        int start = _heldCount - (int)count;
        for (uint i = 0; i < count; i++)
        {
            uint frame = _held[start + (int)i];
            _owner[frame] = Kernels;
            _fill.Address(index + i) = (ulong)frame << _frameShift;
        }

        _heldCount = start;
        if (count != 0)
        {
            _fill.Submit();
        }

        return (int)count;
    }

    /// <summary>
    /// Reads what the kernel received (up to the batch's free room) into <paramref name="batch"/>, counting refused
    /// frames in its <see cref="PacketBatch.ReadDrops"/>. Returns how many descriptors were consumed (0: the RX
    /// ring was empty). Never blocks.
    /// </summary>
    public int Receive(PacketBatch batch)
    {
        uint room = (uint)(batch.Capacity - batch.Count);
        uint count = _rx.Peek(room, out uint index);
        for (uint i = 0; i < count; i++)
        {
            xdp_desc descriptor = _rx.Descriptor(index + i);
            DropReason refused = Accept(batch, descriptor);
            if (!refused.IsNone)
            {
                batch.ReadDrops.Add(refused);
            }
        }

        if (count != 0)
        {
            _rx.Release();
        }

        return (int)count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DropReason Accept(PacketBatch batch, in xdp_desc descriptor)
    {
        ulong frameIndex = descriptor.addr >> _frameShift;
        if (frameIndex >= _frames)
        {
            // Outside the receive frames (a transmit frame, or past the UMEM): nothing of ours to give back.
            BadDescriptors++;
            return AfXdpDropReasons.BadDescriptor;
        }

        uint frame = (uint)frameIndex;
        if (_owner[frame] != Kernels)
        {
            // A frame we already hold (a duplicate or stale descriptor): taking it again would put it twice in the fill ring.
            BadDescriptors++;
            return AfXdpDropReasons.BadDescriptor;
        }

        _owner[frame] = Ours;
        _held[_heldCount++] = frame;
        int offset = (int)(descriptor.addr & _frameMask);
        if (descriptor.len == 0 || descriptor.len > (uint)(_frameSize - offset))
        {
            BadDescriptors++;
            return AfXdpDropReasons.BadDescriptorLength;
        }

        if ((descriptor.options & XDP_PKT_CONTD) != 0)
        {
            BadDescriptors++;
            return AfXdpDropReasons.MultiBuffer;
        }

        int frameStart = (int)(frame << _frameShift);
        var bytes = new ReadOnlySpan<byte>(_umem + frameStart + offset, (int)descriptor.len);
        DropReason refused = EthernetFrame.TryDecode(bytes, _localMac, out int ipLength);
        if (!refused.IsNone)
        {
            return refused;
        }

        // The packet's buffer is its whole frame: the kernel's headroom and the Ethernet header are headroom now.
        batch.Append(_memory.Slice(frameStart, _frameSize), offset + EthernetFrame.HeaderLength, ipLength);
        return DropReason.None;
    }
}
