using System.Runtime.CompilerServices;
using RouterHost.Linux;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// The neighbours of one AF_XDP interface as its transmit paths read them: by next-hop id (an array indexed by the
/// id of <see cref="Abstractions.Routing.INextHopTable"/>) and by destination address for directly connected destinations
/// (an open-addressing table). Only the resolver thread writes: it replaces entries and whole arrays and publishes
/// them with a release store, so lookups take no lock and allocate nothing. A miss, or a failed entry due for a
/// retry, becomes a request on a lock-free queue and a wake-up of the resolver (at most one eventfd write per
/// resolver pass).
/// </summary>
internal sealed class NeighbourTable : IDisposable
{
    private readonly Func<long> _clock;
    private NeighbourEntry?[] _byNextHop = new NeighbourEntry?[16];
    private NeighbourEntry?[] _direct;
    private int _signalled;

    public NeighbourTable(int directCapacity, long failedRetryMilliseconds, Func<long>? clock = null)
    {
        DirectCapacity = directCapacity;
        FailedRetryMilliseconds = failedRetryMilliseconds;
        _clock = clock ?? (() => Environment.TickCount64);
        _direct = new NeighbourEntry?[SlotsFor(directCapacity)];
        Requests = new NeighbourRequestQueue(1024);
    }

    /// <summary>How many directly connected destinations are kept at most.</summary>
    public int DirectCapacity { get; }

    /// <summary>How long a failed neighbour is not asked for again.</summary>
    public long FailedRetryMilliseconds { get; }

    public NeighbourRequestQueue Requests { get; }

    /// <summary>Made readable when requests wait (the resolver drains it).</summary>
    public EventFd Wakeup { get; } = new();

    /// <summary>
    /// The MAC to send to, or why not: for next hop <paramref name="nextHop"/>, or (when it is 0) for the destination
    /// <paramref name="family"/>/<paramref name="address"/>. Requests resolution when needed. Any thread.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public NeighbourStatus Lookup(int nextHop, byte family, UInt128 address, out ulong mac)
    {
        NeighbourEntry? entry = nextHop != 0 ? FindNextHop(nextHop) : FindDirect(family, address);
        if (entry is not null && entry.Status == NeighbourStatus.Resolved)
        {
            entry.MarkUsed();
            mac = entry.Mac;
            return NeighbourStatus.Resolved;
        }

        mac = 0;
        return Miss(entry, nextHop, family, address);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public NeighbourEntry? FindNextHop(int id)
    {
        NeighbourEntry?[] byId = Volatile.Read(ref _byNextHop);
        return (uint)id < (uint)byId.Length ? Volatile.Read(ref byId[id]) : null;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public NeighbourEntry? FindDirect(byte family, UInt128 address)
    {
        NeighbourEntry?[] slots = Volatile.Read(ref _direct);
        int mask = slots.Length - 1;
        int i = Slot(family, address, mask);
        for (int probes = 0; probes < slots.Length; probes++)
        {
            NeighbourEntry? entry = slots[i];
            if (entry is null)
            {
                return null;
            }

            if (entry.Matches(family, address))
            {
                return entry;
            }

            i = (i + 1) & mask;
        }

        return null;
    }

    // ---- the resolver's side --------------------------------------------------------------------------

    /// <summary>Publishes <paramref name="entry"/> (or clears it) for next hop <paramref name="id"/>. Resolver thread only.</summary>
    public void PublishNextHop(int id, NeighbourEntry? entry)
    {
        NeighbourEntry?[] byId = _byNextHop;
        if (id >= byId.Length)
        {
            var grown = new NeighbourEntry?[Math.Max(id + 1, byId.Length * 2)];
            byId.CopyTo(grown, 0);
            grown[id] = entry;
            Volatile.Write(ref _byNextHop, grown);
            return;
        }

        Volatile.Write(ref byId[id], entry);
    }

    /// <summary>Replaces every directly connected destination with <paramref name="entries"/> (at most <see cref="DirectCapacity"/>). Resolver thread only.</summary>
    public void PublishDirect(IReadOnlyCollection<NeighbourEntry> entries)
    {
        var slots = new NeighbourEntry?[SlotsFor(DirectCapacity)];
        int mask = slots.Length - 1;
        int placed = 0;
        foreach (NeighbourEntry entry in entries)
        {
            if (placed == DirectCapacity)
            {
                break;
            }

            int i = Slot(entry.Family, entry.Address, mask);
            while (slots[i] is not null)
            {
                i = (i + 1) & mask;
            }

            slots[i] = entry;
            placed++;
        }

        Volatile.Write(ref _direct, slots);
    }

    /// <summary>Lets the next request wake the resolver again (called before it drains the queue).</summary>
    public void ClearSignal() => Volatile.Write(ref _signalled, 0);

    public void Dispose() => Wakeup.Dispose();

    [MethodImpl(MethodImplOptions.NoInlining)]
    private NeighbourStatus Miss(NeighbourEntry? entry, int nextHop, byte family, UInt128 address)
    {
        if (entry is null)
        {
            Request(new NeighbourRequest(nextHop, family, address));
            return NeighbourStatus.Pending;
        }

        if (entry.Status == NeighbourStatus.Failed && _clock() - entry.Since >= FailedRetryMilliseconds
            && Interlocked.Exchange(ref entry.RetryRequested, 1) == 0)
        {
            Request(new NeighbourRequest(nextHop, family, address));
        }

        return entry.Status;
    }

    private void Request(in NeighbourRequest request)
    {
        if (Requests.TryEnqueue(request) && Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            Wakeup.Signal();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(byte family, UInt128 address, int mask)
    {
        ulong low = (ulong)address;
        ulong high = (ulong)(address >> 64);
        ulong hash = (low ^ (high * 0x9E3779B97F4A7C15UL) ^ family) * 0xBF58476D1CE4E5B9UL;
        return (int)(hash >> 40) & mask;
    }

    private static int SlotsFor(int capacity) => (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2));
}
