using System.Runtime.CompilerServices;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// One single-producer/single-consumer ring shared with the kernel (fill, completion, RX or TX), over plain memory:
/// a producer index, a consumer index, a flags word and a power-of-two array of entries (8-byte UMEM addresses for
/// fill and completion, 16-byte <see cref="xdp_desc"/> for RX and TX). Built over a socket's mmapped ring, or over
/// any memory in tests, where the test plays the kernel.
/// <para>
/// The discipline is gVisor's: our side keeps cached copies of both indices and touches the shared ones only in
/// batches — a consumer reads the producer index (acquire) only when its cached view is empty and publishes its
/// consumer index (release) once per batch; a producer reads the consumer index only when its cached free space
/// is short and publishes its producer index once per batch. Indices run freely and wrap; entries are addressed
/// with the mask, so no index, however bad, reaches outside the ring.
/// </para>
/// Single-threaded (the caller serialises each side).
/// </summary>
internal sealed unsafe class XskRing
{
    private readonly uint* _producer;
    private readonly uint* _consumer;
    private readonly uint* _flags;
    private readonly byte* _entries;
    private uint _cachedProducer;
    private uint _cachedConsumer;

    /// <summary>A ring over explicit memory: index words, flags word and <paramref name="size"/> entries.</summary>
    public XskRing(uint* producer, uint* consumer, uint* flags, byte* entries, uint size)
    {
        if (size == 0 || (size & (size - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A ring's size is a power of two.");
        }

        _producer = producer;
        _consumer = consumer;
        _flags = flags;
        _entries = entries;
        Size = size;
        Mask = size - 1;
        _cachedProducer = Volatile.Read(ref *producer);
        _cachedConsumer = Volatile.Read(ref *consumer);
    }

    /// <summary>A ring over a socket's mapping, at the offsets XDP_MMAP_OFFSETS gave.</summary>
    public XskRing(byte* map, in xdp_ring_offset offsets, uint size)
        : this((uint*)(map + offsets.producer), (uint*)(map + offsets.consumer), (uint*)(map + offsets.flags), map + offsets.desc, size)
    {
    }

    public uint Size { get; }

    public uint Mask { get; }

    /// <summary>Whether the kernel asked to be woken (XDP_RING_NEED_WAKEUP in the ring's flags).</summary>
    public bool NeedsWakeup
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Volatile.Read(ref *_flags) & XDP_RING_NEED_WAKEUP) != 0;
    }

    // ---- producer side (fill, TX) ------------------------------------------------------------------------

    /// <summary>
    /// Claims up to <paramref name="wanted"/> free entries starting at <paramref name="index"/>; returns how many.
    /// Reads the consumer index only when the cached free space is short of <paramref name="wanted"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Reserve(uint wanted, out uint index)
    {
        uint free = FreeEntries();
        if (free < wanted)
        {
            _cachedConsumer = Volatile.Read(ref *_consumer);
            free = FreeEntries();
        }

        uint count = Math.Min(free, wanted);
        index = _cachedProducer;
        _cachedProducer += count;
        return count;
    }

    /// <summary>Publishes every entry reserved so far to the kernel (release).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Submit() => Volatile.Write(ref *_producer, _cachedProducer);

    /// <summary>
    /// Entries published that the other side has not consumed yet, from the shared indices alone (touches no cached
    /// state, so any thread may ask).
    /// </summary>
    public uint Backlog => Math.Min(Volatile.Read(ref *_producer) - Volatile.Read(ref *_consumer), Size);

    // ---- consumer side (RX, completion) -----------------------------------------------------------------

    /// <summary>
    /// Takes up to <paramref name="max"/> entries the kernel produced, starting at <paramref name="index"/>; returns
    /// how many. Reads the producer index only when the cached view is empty. Never more than the ring holds, even
    /// if the producer index is corrupt.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Peek(uint max, out uint index)
    {
        uint available = _cachedProducer - _cachedConsumer;
        if (available == 0)
        {
            _cachedProducer = Volatile.Read(ref *_producer);
            available = _cachedProducer - _cachedConsumer;
        }

        uint count = Math.Min(Math.Min(available, Size), max);
        index = _cachedConsumer;
        _cachedConsumer += count;
        return count;
    }

    /// <summary>Hands every entry taken so far back to the kernel (release).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Release() => Volatile.Write(ref *_consumer, _cachedConsumer);

    // ---- entries ----------------------------------------------------------------------------------------

    /// <summary>The 8-byte UMEM address at <paramref name="index"/> (fill and completion rings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref ulong Address(uint index) => ref ((ulong*)_entries)[index & Mask];

    /// <summary>The descriptor at <paramref name="index"/> (RX and TX rings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref xdp_desc Descriptor(uint index) => ref ((xdp_desc*)_entries)[index & Mask];

    /// <summary>The bytes a ring of <paramref name="size"/> entries of <paramref name="entrySize"/> bytes maps, after its <paramref name="descOffset"/>.</summary>
    public static nuint MapLength(ulong descOffset, uint size, int entrySize) => (nuint)(descOffset + ((ulong)size * (ulong)entrySize));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint FreeEntries()
    {
        uint used = _cachedProducer - _cachedConsumer;
        return used >= Size ? 0 : Size - used;
    }
}
