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
/// IPv4 neighbours of one interface (IP → MAC), shared by its queues: the readers learn from the ARP they see on the
/// ring, the writers look up next hops and note when they asked. A fixed open-addressed array (no allocation after
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

    /// <summary>How many slots the table has.</summary>
    public int Capacity => _slots.Length;

    /// <summary>
    /// Looks up <paramref name="ip"/> at time <paramref name="now"/> (milliseconds, e.g. Environment.TickCount64). A miss
    /// records a pending entry so requests go out at most once per retry interval per address.
    /// </summary>
    public NeighbourState Lookup(uint ip, long now, out ulong mac)
    {
        mac = 0;
        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (!Read(ref slot, out uint key, out ulong found, out long updated, out long requested))
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

            if (key == 0)
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
    public bool Learn(uint ip, ulong mac, long now, bool create)
    {
        if (ip == 0 || mac == 0 || Ethernet.IsGroup(mac))
        {
            return false;
        }

        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (!Read(ref slot, out uint key, out _, out _, out long requested))
            {
                return false;
            }

            if (key == ip)
            {
                return Write(ref slot, ip, mac, now, requested);
            }

            if (key == 0)
            {
                break;
            }
        }

        return create && Insert(ip, mac, now, 0);
    }

    /// <summary>The MAC known for <paramref name="ip"/>, or 0 (for status and tests; does not note a request).</summary>
    public ulong Peek(uint ip)
    {
        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (Read(ref slot, out uint key, out ulong mac, out _, out _) && key == ip)
            {
                return mac;
            }
        }

        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Hash(uint ip) => (int)((ip * 0x9E3779B1u) >> 8) & _mask;

    private bool Insert(uint ip, ulong mac, long updated, long requested)
    {
        int start = Hash(ip);
        for (int i = 0; i < Probes; i++)
        {
            ref Slot slot = ref _slots[(start + i) & _mask];
            if (Read(ref slot, out uint key, out _, out _, out _) && (key == 0 || key == ip))
            {
                return Write(ref slot, ip, mac, updated, requested);
            }
        }

        // Full around this address: the entry at its home slot gives way.
        return Write(ref _slots[start], ip, mac, updated, requested);
    }

    private bool TryMarkRequested(ref Slot slot, uint ip, long now)
    {
        int version = Volatile.Read(ref slot.Version);
        if ((version & 1) != 0 || Interlocked.CompareExchange(ref slot.Version, version + 1, version) != version)
        {
            return false;
        }

        bool same = slot.Ip == ip;
        if (same)
        {
            Volatile.Write(ref slot.Requested, now);
        }

        Volatile.Write(ref slot.Version, version + 2);
        return same;
    }

    private static bool Read(ref Slot slot, out uint ip, out ulong mac, out long updated, out long requested)
    {
        int before = Volatile.Read(ref slot.Version);
        ip = Volatile.Read(ref slot.Ip);
        mac = Volatile.Read(ref slot.Mac);
        updated = Volatile.Read(ref slot.Updated);
        requested = Volatile.Read(ref slot.Requested);
        return (before & 1) == 0 && Volatile.Read(ref slot.Version) == before;
    }

    private static bool Write(ref Slot slot, uint ip, ulong mac, long updated, long requested)
    {
        int version = Volatile.Read(ref slot.Version);
        if ((version & 1) != 0 || Interlocked.CompareExchange(ref slot.Version, version + 1, version) != version)
        {
            return false;
        }

        Volatile.Write(ref slot.Ip, ip);
        Volatile.Write(ref slot.Mac, mac);
        Volatile.Write(ref slot.Updated, updated);
        Volatile.Write(ref slot.Requested, requested);
        Volatile.Write(ref slot.Version, version + 2);
        return true;
    }

    private struct Slot
    {
        public int Version;
        public uint Ip;
        public ulong Mac;
        public long Updated;
        public long Requested;
    }
}
