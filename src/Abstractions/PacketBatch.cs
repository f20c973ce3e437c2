using System.Runtime.CompilerServices;

namespace RouterHost.Abstractions;

/// <summary>
/// A batch of packets that moves through the stage chain as a unit (VPP's vector). One thread owns a batch;
/// it is allocated once and reused for every read, so steady-state traffic allocates nothing.
/// <para>
/// A backend's <see cref="IPacketReader.Read"/> fills it with packets borrowed from the queue's own buffers
/// (<see cref="Append"/>). Stages walk it (<c>ref Packet p = ref batch[i]</c>) and set verdicts; the runner
/// takes decided packets out between stages. A stage that makes packets of its own (a reject reply, a
/// keepalive) writes them into <see cref="Emitted"/>, a child batch with its own pinned arena, which the
/// runner sends through the rest of the chain in the direction the stage chose.
/// </para>
/// </summary>
public sealed class PacketBatch
{
    /// <summary>Headroom reserved in front of every emitted packet (room for tunnel, UDP/IP and virtio headers).</summary>
    public const int EmitHeadroom = 128;

    /// <summary>Tailroom reserved after every emitted packet (room for padding and an AEAD tag).</summary>
    public const int EmitTailroom = 64;

    /// <summary>Bytes of arena per emit slot: enough for an IPv6 ICMP error quoting a full 1280-byte minimum-MTU packet.</summary>
    public const int EmitBytesPerSlot = 1536;

    private readonly Packet[] _packets;
    private readonly PacketBatch?[] _emitted;
    private readonly byte[]? _arena;
    private int _arenaUsed;
    private int _count;

    /// <summary>Creates a batch for up to <paramref name="capacity"/> packets.</summary>
    /// <param name="capacity">Packets per batch (at least 1).</param>
    /// <param name="emitDepth">How many generations of emitted packets the batch can carry (a reply to a reply);
    /// 0 means stages cannot emit into it.</param>
    public PacketBatch(int capacity, int emitDepth = 2)
        : this(capacity, emitDepth, arenaBytes: 0)
    {
    }

    private PacketBatch(int capacity, int emitDepth, int arenaBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(emitDepth);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(emitDepth, 8);
        _packets = new Packet[capacity];
        if (arenaBytes > 0)
        {
            _arena = GC.AllocateArray<byte>(arenaBytes, pinned: true);
        }

        _emitted = new PacketBatch?[2];
        if (emitDepth > 0)
        {
            _emitted[(int)PacketDirection.Outbound] = new PacketBatch(capacity, emitDepth - 1, capacity * EmitBytesPerSlot) { Direction = PacketDirection.Outbound };
            _emitted[(int)PacketDirection.Inbound] = new PacketBatch(capacity, emitDepth - 1, capacity * EmitBytesPerSlot) { Direction = PacketDirection.Inbound };
        }
    }

    /// <summary>How many packets the batch holds at most.</summary>
    public int Capacity => _packets.Length;

    /// <summary>How many packets it holds now.</summary>
    public int Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _count;
    }

    /// <summary>Whether no more packets fit.</summary>
    public bool IsFull => _count == _packets.Length;

    /// <summary>The direction every packet of this batch walks the chain.</summary>
    public PacketDirection Direction { get; set; }

    /// <summary>Drops counted while filling the batch (malformed input a backend refused), drained by the runner.</summary>
    public DropTally ReadDrops { get; } = new();

    /// <summary>The packet at <paramref name="index"/>, by reference.</summary>
    public ref Packet this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)_count)
            {
                ThrowIndex(index);
            }

            return ref _packets[index];
        }
    }

    /// <summary>The packets, as a span.</summary>
    public Span<Packet> AsSpan() => _packets.AsSpan(0, _count);

    /// <summary>
    /// Adds a packet borrowed from <paramref name="buffer"/>; everything but the window is reset
    /// (verdict Forward, no GSO, no ports). The caller checks <see cref="IsFull"/> first.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Packet Append(Memory<byte> buffer, int offset, int length)
    {
        if (_count == _packets.Length)
        {
            ThrowFull();
        }

        if ((uint)offset > (uint)buffer.Length || (uint)length > (uint)(buffer.Length - offset))
        {
            ThrowWindow(offset, length, buffer.Length);
        }

        ref Packet p = ref _packets[_count++];
        p = default;
        p.Buffer = buffer;
        p.Offset = offset;
        p.Length = length;
        return ref p;
    }

    /// <summary>
    /// Adds a packet of <paramref name="length"/> bytes carved from this batch's own arena (only emit batches,
    /// from <see cref="Emitted"/>, have one), with <see cref="EmitHeadroom"/> and <see cref="EmitTailroom"/>
    /// around it. Returns false when the batch or its arena is full: the caller counts
    /// <see cref="DropReason.EmitOverflow"/>.
    /// </summary>
    public bool TryAppendOwned(int length, out int index)
    {
        index = -1;
        if (_arena is null || _count == _packets.Length || length < 0)
        {
            return false;
        }

        int need = EmitHeadroom + length + EmitTailroom;
        if (need > _arena.Length - _arenaUsed)
        {
            return false;
        }

        Memory<byte> region = _arena.AsMemory(_arenaUsed, need);
        _arenaUsed += need;
        index = _count;
        ref Packet p = ref Append(region, EmitHeadroom, length);
        p.Data.Clear();
        return true;
    }

    /// <summary>
    /// The child batch that takes packets a stage emits in <paramref name="direction"/>, or null when this
    /// batch is already as deep as emission goes. A packet emitted <see cref="PacketDirection.Outbound"/>
    /// continues through the stages outside the emitter; <see cref="PacketDirection.Inbound"/>, through
    /// those inside it; after the chain it goes to its <see cref="Packet.Egress"/>.
    /// </summary>
    public PacketBatch? Emitted(PacketDirection direction) => _emitted[(int)direction & 1];

    /// <summary>Empties the batch (and its emit children) for the next read.</summary>
    public void Clear()
    {
        _count = 0;
        _arenaUsed = 0;
        ReadDrops.Clear();
        _emitted[0]?.Clear();
        _emitted[1]?.Clear();
    }

    /// <summary>
    /// Removes every packet whose verdict is not <see cref="PacketVerdict.Forward"/>, keeping the order of the
    /// rest. Returns how many were removed.
    /// </summary>
    public int RemoveDecided()
    {
        Span<Packet> packets = _packets.AsSpan(0, _count);
        int kept = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            if (packets[i].Verdict == PacketVerdict.Forward)
            {
                if (kept != i)
                {
                    packets[kept] = packets[i];
                }

                kept++;
            }
        }

        int removed = _count - kept;
        _count = kept;
        return removed;
    }

    /// <summary>Removes the packets from <paramref name="start"/> on.</summary>
    public void Truncate(int start)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)start, (uint)_count, nameof(start));
        _count = start;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowIndex(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, "No packet at this index of the batch.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowFull() =>
        throw new InvalidOperationException("The packet batch is full; check IsFull before appending.");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWindow(int offset, int length, int bufferLength) =>
        throw new ArgumentOutOfRangeException(nameof(length), $"Packet window {offset}+{length} lies outside its {bufferLength}-byte buffer.");
}
