using System.Runtime.CompilerServices;

namespace RouterHost.Samples.AfPacket;

/// <summary>What a <see cref="NeighbourTable.Lookup"/> found, and whether the caller should send an ARP request now.</summary>
internal enum NeighbourState : byte
{
    /// <summary>The MAC is known.</summary>
    Resolved,

    /// <summary>The MAC is known but old: use it, and send a request to refresh it.</summary>
    ResolvedRefresh,

    /// <summary>Unknown, and a request is due now: send it (the table noted the time).</summary>
    Request,

    /// <summary>Unknown, a request went out recently: wait for the answer.</summary>
    Pending,
}

/// <summary>
/// The neighbours of one interface (IP → MAC), shared by its queues: the readers learn from the ARP and neighbour
/// discovery they see on the ring, the writers look up next hops and note when they asked. Keys are addresses as numbers:
/// IPv6 big-endian, IPv4 in its IPv4-mapped form (<see cref="V4"/>). A fixed open-addressed array (no allocation after
/// construction); each slot is guarded by a sequence number (odd while written), so lookups never block and learners
/// only try (a learner that finds a slot being written skips it: the next ARP message teaches it again).
/// </summary>
internal sealed class NeighbourTable
{
    private const int Probes = 8;

    private readonly Slot[] _slots;
    private readonly int _mask;
    private readonly long _refreshMilliseconds;
    private readonly long _retryMilliseconds;

    /// <summary>Creates a table of <paramref name="capacity"/> slots (rounded up to a power of two).</summary>
    public NeighbourTable(int capacity, TimeSpan refresh, TimeSpan retry)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, Probes));
        _slots = new Slot[size];
        _mask = size - 1;
        _refreshMilliseconds = (long)refresh.TotalMilliseconds;
        _retryMilliseconds = (long)retry.TotalMilliseconds;
    }

    /// <summary>The key of an IPv4 address: its IPv4-mapped IPv6 form, <c>::ffff:a.b.c.d</c>.</summary>
    public static UInt128 V4(uint ip) => ((UInt128)0xFFFF << 32) | ip;

    /// <summary>How many slots the table has.</summary>
    public int Capacity => _slots.Length;

    /// <summary>
    /// Looks up <paramref name="ip"/> at time <paramref name="now"/> (milliseconds, e.g. Environment.TickCount64). A miss
    /// records a pending entry so requests go out at most once per retry interval per address.
    /// </summary>
    public NeighbourState Lookup(UInt128 ip, long now, out ulong mac)
    {
        mac = 0;
        if (ip == UInt128.Zero)
        {
            return NeighbourState.Pending;
        }

        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (!Read(ref slot, out UInt128 key, out ulong found, out long updated, out long requested))
            {
                return NeighbourState.Pending; // being written right now
            }

            if (key == ip)
            {
                if (found != 0)
                {
                    mac = found;
                    return now - updated >= _refreshMilliseconds && now - requested >= _retryMilliseconds && TryMarkRequested(ref slot, ip, now)
                        ? NeighbourState.ResolvedRefresh
                        : NeighbourState.Resolved;
                }

                return now - requested >= _retryMilliseconds && TryMarkRequested(ref slot, ip, now) ? NeighbourState.Request : NeighbourState.Pending;
            }

            if (key == UInt128.Zero)
            {
                break;
            }
        }

        return Insert(ip, 0, now, now) ? NeighbourState.Request : NeighbourState.Pending;
    }

    /// <summary>
    /// Learns that <paramref name="ip"/> is at <paramref name="mac"/>: updates its entry, or creates one when
    /// <paramref name="create"/> (an ARP message addressed to one of our addresses). Returns whether it stored it.
    /// </summary>
    public bool Learn(UInt128 ip, ulong mac, long now, bool create)
    {
        if (ip == UInt128.Zero || ip == V4(0) || mac == 0 || Ethernet.IsGroup(mac))
        {
            return false;
        }

        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (!Read(ref slot, out UInt128 key, out _, out _, out long requested))
            {
                return false;
            }

            if (key == ip)
            {
                return Write(ref slot, ip, mac, now, requested);
            }

            if (key == UInt128.Zero)
            {
                break;
            }
        }

        return create && Insert(ip, mac, now, 0);
    }

    /// <summary>The MAC known for <paramref name="ip"/>, or 0 (for status and tests; does not note a request).</summary>
    public ulong Peek(UInt128 ip)
    {
        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (Read(ref slot, out UInt128 key, out ulong mac, out _, out _) && key == ip)
            {
                return mac;
            }
        }

        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Hash(UInt128 ip)
    {
        ulong folded = (ulong)ip ^ (ulong)(ip >> 64);
        return (int)((folded * 0x9E3779B97F4A7C15UL) >> 40) & _mask;
    }

    private bool Insert(UInt128 ip, ulong mac, long updated, long requested)
    {
        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (Read(ref slot, out UInt128 key, out _, out _, out _) && (key == UInt128.Zero || key == ip))
            {
                return Write(ref slot, ip, mac, updated, requested);
            }
        }

        // Full around this address: the entry at its home slot gives way.
        return Write(ref _slots[start], ip, mac, updated, requested);
    }

    private bool TryMarkRequested(ref Slot slot, UInt128 ip, long now)
    {
        int version = Volatile.Read(ref slot.Version);
        if ((version & 1) != 0 || Interlocked.CompareExchange(ref slot.Version, version + 1, version) != version)
        {
            return false;
        }

        bool same = slot.KeyHigh == (ulong)(ip >> 64) && slot.KeyLow == (ulong)ip;
        if (same)
        {
            Volatile.Write(ref slot.Requested, now);
        }

        Volatile.Write(ref slot.Version, version + 2);
        return same;
    }

    private static bool Read(ref Slot slot, out UInt128 ip, out ulong mac, out long updated, out long requested)
    {
        int before = Volatile.Read(ref slot.Version);
        ip = ((UInt128)Volatile.Read(ref slot.KeyHigh) << 64) | Volatile.Read(ref slot.KeyLow);
        mac = Volatile.Read(ref slot.Mac);
        updated = Volatile.Read(ref slot.Updated);
        requested = Volatile.Read(ref slot.Requested);
        return (before & 1) == 0 && Volatile.Read(ref slot.Version) == before;
    }

    private static bool Write(ref Slot slot, UInt128 ip, ulong mac, long updated, long requested)
    {
        int version = Volatile.Read(ref slot.Version);
        if ((version & 1) != 0 || Interlocked.CompareExchange(ref slot.Version, version + 1, version) != version)
        {
            return false;
        }

        Volatile.Write(ref slot.KeyHigh, (ulong)(ip >> 64));
        Volatile.Write(ref slot.KeyLow, (ulong)ip);
        Volatile.Write(ref slot.Mac, mac);
        Volatile.Write(ref slot.Updated, updated);
        Volatile.Write(ref slot.Requested, requested);
        Volatile.Write(ref slot.Version, version + 2);
        return true;
    }

    private struct Slot
    {
        public int Version;
        public ulong KeyHigh;
        public ulong KeyLow;
        public ulong Mac;
        public long Updated;
        public long Requested;
    }
}
