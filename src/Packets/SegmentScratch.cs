using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Segmentation for an egress that cannot take a superpacket (no GSO): a pinned scratch area, bump-allocated, that
/// <see cref="Segmenter"/> writes the segments of each superpacket into, one slot per segment with the
/// <c>headroom</c> and <c>tailroom</c> the caller asks for around it (room for a device header, or for a tunnel's
/// header, padding and tag, so a segment is encrypted where it lies). Segments stay valid until <see cref="Reset"/>,
/// which the owner calls once everything it wrote from the scratch has left (its flush).
/// <para>
/// Use: <see cref="Plan"/> (a drop reason when the superpacket cannot be segmented at all); when
/// <see cref="PlanFits"/> is false the scratch is still held by earlier segments: flush, <see cref="Reset"/>;
/// then <see cref="Write"/> and take each segment with <see cref="SegmentAt"/>. The runner's lanes use it for an
/// interface queue without GSO, the WireGuard stage for a superpacket it encrypts.
/// </para>
/// Allocation-free after construction; one thread only.
/// </summary>
public sealed class SegmentScratch
{
    /// <summary>The most segments one superpacket may have.</summary>
    public const int DefaultMaxSegments = 1024;

    private const int SlotAlignment = 16;

    private readonly byte[] _buffer;
    private readonly Memory<byte>[] _destinations;
    private readonly int[] _lengths;
    private int _used;
    private int _start;
    private int _slot;
    private int _planned;
    private int _headroom;
    private int _count;

    /// <summary>A scratch of <paramref name="bytes"/> bytes taking superpackets of up to <paramref name="maxSegments"/> segments.</summary>
    public SegmentScratch(int bytes, int maxSegments = DefaultMaxSegments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSegments, 1);
        _buffer = GC.AllocateArray<byte>(bytes, pinned: true);
        _destinations = new Memory<byte>[maxSegments];
        _lengths = new int[maxSegments];
    }

    /// <summary>Bytes of the scratch held by segments written since the last <see cref="Reset"/>.</summary>
    public int Used => _used;

    /// <summary>How many segments the last <see cref="Write"/> produced.</summary>
    public int Count => _count;

    /// <summary>Whether the planned superpacket fits in what is left of the scratch (otherwise flush and <see cref="Reset"/>).</summary>
    public bool PlanFits => _used + (_planned * _slot) <= _buffer.Length;

    /// <summary>
    /// Checks <paramref name="superpacket"/> and plans its segments, each with <paramref name="headroom"/> bytes
    /// before it and at least <paramref name="tailroom"/> after it. Returns why it cannot be segmented (the
    /// <see cref="Segmenter"/>'s reason for malformed GSO info or headers), <see cref="DropReason.TooLarge"/> when it
    /// would not fit even an empty scratch, or none.
    /// </summary>
    public DropReason Plan(in Packet superpacket, int headroom, int tailroom)
    {
        _planned = 0;
        _count = 0;
        DropReason why = Segmenter.Measure(superpacket.Data, superpacket.Gso, out int count, out int headerLength);
        if (!why.IsNone)
        {
            return why;
        }

        int slot = (headroom + headerLength + superpacket.Gso.SegmentSize + tailroom + SlotAlignment - 1) & ~(SlotAlignment - 1);
        if (count > _destinations.Length || (long)count * slot > _buffer.Length)
        {
            return DropReason.TooLarge;
        }

        _planned = count;
        _slot = slot;
        _headroom = headroom;
        return DropReason.None;
    }

    /// <summary>
    /// Segments the superpacket last given to <see cref="Plan"/> into the scratch (the plan must fit: see
    /// <see cref="PlanFits"/>). Returns none with <see cref="Count"/> segments, or why not (nothing is held then).
    /// </summary>
    public DropReason Write(in Packet superpacket)
    {
        int count = _planned;
        if (count == 0 || !PlanFits)
        {
            return DropReason.TooLarge;
        }

        int start = _used;
        int room = _slot - _headroom;
        for (int i = 0; i < count; i++)
        {
            _destinations[i] = _buffer.AsMemory(start + (i * _slot) + _headroom, room);
        }

        DropReason result = Segmenter.Segment(superpacket.Data, superpacket.Gso, _destinations.AsSpan(0, count), _lengths.AsSpan(0, count), out int produced);
        _planned = 0;
        if (!result.IsNone)
        {
            return result;
        }

        _start = start;
        _count = produced;
        _used = start + (count * _slot);
        return DropReason.None;
    }

    /// <summary>
    /// Segment <paramref name="index"/> of the last <see cref="Write"/>: <paramref name="superpacket"/>'s metadata
    /// (ports, hop, marks) on a window of the segment's slot, with the planned headroom before it and no GSO.
    /// </summary>
    public Packet SegmentAt(in Packet superpacket, int index)
    {
        Packet segment = superpacket;
        segment.Buffer = _buffer.AsMemory(_start + (index * _slot), _slot);
        segment.Offset = _headroom;
        segment.Length = _lengths[index];
        segment.Gso = default;
        return segment;
    }

    /// <summary>Frees the whole scratch: every segment written since the last reset has left.</summary>
    public void Reset()
    {
        _used = 0;
        _count = 0;
    }
}
