using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.Firewall;

/// <summary>
/// A bounded connection-tracking table shared by every worker thread, keyed by the direction-normalized 5-tuple
/// (addresses, ports or ICMP echo id, protocol): a packet and its reply find the same entry.
/// <para>
/// Layout: a set-associative array of 8-way buckets (a flow hashes to one bucket and lives in one of its 8 slots),
/// allocated once; nothing is allocated per packet. Hashing uses the process-randomized <see cref="HashCode"/>, so
/// an attacker cannot aim flows at one bucket.
/// </para>
/// <para>
/// Concurrency: striped spin locks. Each bucket belongs to one of up to 1024 stripes (each on its own cache lines,
/// together with that stripe's counters); an operation takes its stripe's lock with one compare-exchange, touches
/// at most 8 slots and releases it, tens of nanoseconds later. Slots are multi-word and read-modify-written per
/// packet (state, timestamps), which per-slot CAS cannot do without torn reads; with 1024 stripes and a handful of
/// workers, two threads rarely meet on a stripe, and counters updated under the lock need no interlocked
/// operations. No user code ever runs under a lock.
/// </para>
/// <para>
/// Timeouts are checked lazily (a lookup that finds an expired entry removes it) and by <see cref="Sweep"/>, an
/// incremental step over a few buckets that the data path calls once per batch; there are no timers or threads.
/// </para>
/// <para>
/// Eviction when a bucket is full: first an expired entry; else the least recently seen entry that is not
/// assured (unreplied, handshaking or closing); established connections (replied TCP established, replied UDP,
/// ICMP, other) are evicted only when <see cref="ConntrackOptions.EvictEstablishedWhenFull"/> is set, oldest first;
/// otherwise the new connection is refused (<see cref="ConntrackInsert.Full"/>), as Linux's early_drop does.
/// </para>
/// </summary>
public sealed class ConntrackTable
{
    /// <summary>Slots per bucket.</summary>
    public const int Ways = 8;

    private const int MaxStripes = 1024;

    private readonly Entry[] _entries;
    private readonly Stripe[] _stripes;
    private readonly int _bucketMask;
    private readonly int _stripeMask;
    private readonly bool _evictEstablished;
    private readonly long[] _tcpTimeouts;
    private readonly long _udpUnreplied;
    private readonly long _udpReplied;
    private readonly long _icmpEcho;
    private readonly long _otherUnreplied;
    private readonly long _otherReplied;
    private long _sweepCursor;

    /// <summary>Creates the table, allocating every slot now.</summary>
    public ConntrackTable(ConntrackOptions? options = null)
    {
        options ??= new ConntrackOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Capacity, 1 << 26);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TimestampFrequency, 1);
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(64, options.Capacity));
        int buckets = capacity / Ways;
        _entries = new Entry[capacity];
        _stripes = new Stripe[Math.Min(buckets, MaxStripes)];
        _bucketMask = buckets - 1;
        _stripeMask = _stripes.Length - 1;
        _evictEstablished = options.EvictEstablishedWhenFull;
        long f = options.TimestampFrequency;
        _tcpTimeouts = new long[8];
        _tcpTimeouts[(int)ConntrackState.TcpSynSent] = Ticks(options.TcpSynSent, f);
        _tcpTimeouts[(int)ConntrackState.TcpSynReceived] = Ticks(options.TcpSynReceived, f);
        _tcpTimeouts[(int)ConntrackState.TcpEstablished] = Ticks(options.TcpEstablished, f);
        _tcpTimeouts[(int)ConntrackState.TcpClosing] = Ticks(options.TcpClosing, f);
        _tcpTimeouts[(int)ConntrackState.TcpTimeWait] = Ticks(options.TcpTimeWait, f);
        _tcpTimeouts[(int)ConntrackState.TcpClosed] = Ticks(options.TcpClosed, f);
        _udpUnreplied = Ticks(options.UdpUnreplied, f);
        _udpReplied = Ticks(options.UdpReplied, f);
        _icmpEcho = Ticks(options.IcmpEcho, f);
        _otherUnreplied = Ticks(options.OtherUnreplied, f);
        _otherReplied = Ticks(options.OtherReplied, f);
    }

    /// <summary>How many connections the table holds at most.</summary>
    public int Capacity => _entries.Length;

    /// <summary>
    /// Finds the packet's connection. A hit advances its state (TCP flags, replied) and timeout; an expired entry
    /// is removed and reported as a miss. Untrackable packets (later fragments, ICMP other than echo) miss.
    /// </summary>
    public ConntrackMatch Lookup(in PacketFields packet, long now)
    {
        if (!TryKey(packet, out FlowKey key, out bool fromA))
        {
            return ConntrackMatch.Miss;
        }

        int bucket = Bucket(key);
        ref Stripe stripe = ref _stripes[bucket & _stripeMask];
        Enter(ref stripe);
        ConntrackMatch result = ConntrackMatch.Miss;
        Span<Entry> ways = _entries.AsSpan(bucket * Ways, Ways);
        for (int i = 0; i < ways.Length; i++)
        {
            ref Entry e = ref ways[i];
            if (!e.Holds(key))
            {
                continue;
            }

            if (now >= e.Expires)
            {
                e.Flags = 0;
                stripe.Entries--;
                stripe.Expirations++;
                break;
            }

            bool reply = fromA != ((e.Flags & Entry.OriginIsA) != 0);
            Advance(ref e, packet, reply, now);
            result = reply ? ConntrackMatch.Reply : ConntrackMatch.Original;
            break;
        }

        if (result == ConntrackMatch.Miss)
        {
            stripe.Misses++;
        }
        else
        {
            stripe.Hits++;
        }

        Exit(ref stripe);
        return result;
    }

    /// <summary>
    /// Whether <paramref name="packet"/>'s flow is a live connection, without touching its state or timeout: how an
    /// ICMP error quoting a packet finds the connection it is about (netfilter's RELATED).
    /// </summary>
    public bool IsTracked(in PacketFields packet, long now)
    {
        if (!TryKey(packet, out FlowKey key, out _))
        {
            return false;
        }

        int bucket = Bucket(key);
        ref Stripe stripe = ref _stripes[bucket & _stripeMask];
        Enter(ref stripe);
        bool found = false;
        Span<Entry> ways = _entries.AsSpan(bucket * Ways, Ways);
        for (int i = 0; i < ways.Length; i++)
        {
            ref Entry e = ref ways[i];
            if (e.Holds(key))
            {
                found = now < e.Expires;
                break;
            }
        }

        Exit(ref stripe);
        return found;
    }

    /// <summary>
    /// Records a connection opened by <paramref name="packet"/> (accepted by the rules, walking
    /// <paramref name="direction"/>). TCP opens in SYN-sent on a SYN, otherwise established (picked up mid-stream);
    /// RSTs, echo replies and other ICMP open nothing.
    /// </summary>
    public ConntrackInsert Add(in PacketFields packet, PacketDirection direction, long now)
    {
        if (!TryKey(packet, out FlowKey key, out bool fromA)
            || (packet.Protocol == IpProtocol.Tcp && (packet.TcpFlags & TcpFlags.Rst) != 0)
            || (packet.IsIcmp && packet.IcmpType != EchoRequest(packet.IsIPv6)))
        {
            return ConntrackInsert.NotTrackable;
        }

        int bucket = Bucket(key);
        ref Stripe stripe = ref _stripes[bucket & _stripeMask];
        Enter(ref stripe);
        Span<Entry> ways = _entries.AsSpan(bucket * Ways, Ways);
        int free = -1;
        int unassured = -1;
        int assured = -1;
        for (int i = 0; i < ways.Length; i++)
        {
            ref Entry e = ref ways[i];
            if ((e.Flags & Entry.Used) == 0)
            {
                free = free < 0 ? i : free;
                continue;
            }

            if (now >= e.Expires)
            {
                e.Flags = 0;
                stripe.Entries--;
                stripe.Expirations++;
                free = free < 0 ? i : free;
                continue;
            }

            if (e.Holds(key))
            {
                Advance(ref e, packet, fromA != ((e.Flags & Entry.OriginIsA) != 0), now);
                Exit(ref stripe);
                return ConntrackInsert.Exists;
            }

            if (IsAssured(e))
            {
                assured = assured < 0 || e.LastSeen < ways[assured].LastSeen ? i : assured;
            }
            else
            {
                unassured = unassured < 0 || e.LastSeen < ways[unassured].LastSeen ? i : unassured;
            }
        }

        int slot = free;
        if (slot < 0)
        {
            slot = unassured >= 0 ? unassured : (_evictEstablished ? assured : -1);
            if (slot < 0)
            {
                stripe.InsertFailures++;
                Exit(ref stripe);
                return ConntrackInsert.Full;
            }

            stripe.Evictions++;
            stripe.Entries--;
        }

        ref Entry entry = ref ways[slot];
        entry.A = key.A;
        entry.B = key.B;
        entry.PortA = key.PortA;
        entry.PortB = key.PortB;
        entry.Protocol = key.Protocol;
        entry.Ingress = packet.Ingress;
        entry.Egress = packet.Egress;
        entry.Flags = (byte)(Entry.Used | (key.IsIPv6 ? Entry.IPv6 : 0) | (fromA ? Entry.OriginIsA : 0)
            | (direction == PacketDirection.Inbound ? Entry.Inbound : 0));
        entry.State = key.Protocol == IpProtocol.Tcp
            ? ((packet.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn ? ConntrackState.TcpSynSent : ConntrackState.TcpEstablished)
            : ConntrackState.Unreplied;
        entry.LastSeen = now;
        entry.Expires = now + Timeout(entry);
        stripe.Entries++;
        stripe.Inserts++;
        Exit(ref stripe);
        return ConntrackInsert.Inserted;
    }

    /// <summary>
    /// Removes expired entries from the next buckets, covering about <paramref name="maxEntries"/> slots, and
    /// returns how many it removed. Threads may call it concurrently (each takes its own buckets); calling it once
    /// per batch walks the whole table in Capacity / maxEntries batches.
    /// </summary>
    public int Sweep(long now, int maxEntries)
    {
        int buckets = Math.Clamp(maxEntries / Ways, 1, _bucketMask + 1);
        long start = Interlocked.Add(ref _sweepCursor, buckets) - buckets;
        int expired = 0;
        for (int i = 0; i < buckets; i++)
        {
            int bucket = (int)((start + i) & _bucketMask);
            ref Stripe stripe = ref _stripes[bucket & _stripeMask];
            Enter(ref stripe);
            Span<Entry> ways = _entries.AsSpan(bucket * Ways, Ways);
            for (int w = 0; w < ways.Length; w++)
            {
                ref Entry e = ref ways[w];
                if ((e.Flags & Entry.Used) != 0 && now >= e.Expires)
                {
                    e.Flags = 0;
                    stripe.Entries--;
                    stripe.Expirations++;
                    expired++;
                }
            }

            Exit(ref stripe);
        }

        return expired;
    }

    /// <summary>
    /// Re-checks every live connection after a rule reload and removes those <paramref name="stillAllowed"/>
    /// refuses (typically: the new rule set no longer accepts the opening packet). Runs on the control plane,
    /// concurrently with the data path: each bucket is copied under its lock, judged without it, and only entries
    /// still holding the same flow are removed. Returns how many were removed.
    /// </summary>
    public int Revalidate(Func<ConntrackFlow, bool> stillAllowed)
    {
        ArgumentNullException.ThrowIfNull(stillAllowed);
        Span<Entry> copy = stackalloc Entry[Ways];
        Span<bool> remove = stackalloc bool[Ways];
        int removed = 0;
        for (int bucket = 0; bucket <= _bucketMask; bucket++)
        {
            ref Stripe stripe = ref _stripes[bucket & _stripeMask];
            Span<Entry> ways = _entries.AsSpan(bucket * Ways, Ways);
            Enter(ref stripe);
            ways.CopyTo(copy);
            Exit(ref stripe);
            bool any = false;
            for (int w = 0; w < Ways; w++)
            {
                remove[w] = (copy[w].Flags & Entry.Used) != 0 && !stillAllowed(ToFlow(copy[w]));
                any |= remove[w];
            }

            if (!any)
            {
                continue;
            }

            Enter(ref stripe);
            for (int w = 0; w < Ways; w++)
            {
                if (remove[w] && ways[w].Holds(copy[w].Key))
                {
                    ways[w].Flags = 0;
                    stripe.Entries--;
                    stripe.Removals++;
                    removed++;
                }
            }

            Exit(ref stripe);
        }

        return removed;
    }

    /// <summary>The counters, summed over the stripes.</summary>
    public ConntrackCounters GetCounters()
    {
        long entries = 0, inserts = 0, evictions = 0, expirations = 0, removals = 0, hits = 0, misses = 0, failures = 0;
        for (int i = 0; i < _stripes.Length; i++)
        {
            ref Stripe s = ref _stripes[i];
            entries += Volatile.Read(ref s.Entries);
            inserts += Volatile.Read(ref s.Inserts);
            evictions += Volatile.Read(ref s.Evictions);
            expirations += Volatile.Read(ref s.Expirations);
            removals += Volatile.Read(ref s.Removals);
            hits += Volatile.Read(ref s.Hits);
            misses += Volatile.Read(ref s.Misses);
            failures += Volatile.Read(ref s.InsertFailures);
        }

        return new ConntrackCounters(entries, inserts, evictions, expirations, removals, hits, misses, failures);
    }

    /// <summary>Every live connection (control plane, for diagnostics and tests; allocates).</summary>
    public IReadOnlyList<ConntrackFlow> Snapshot()
    {
        var flows = new List<ConntrackFlow>();
        Revalidate(flow =>
        {
            flows.Add(flow);
            return true;
        });
        return flows;
    }

    private static byte EchoRequest(bool isIPv6) => isIPv6 ? (byte)128 : (byte)8;

    private static bool IsEcho(in PacketFields packet) =>
        packet.IsIPv6 ? packet.IcmpType is 128 or 129 : packet.IcmpType is 8 or 0;

    private static bool TryKey(in PacketFields packet, out FlowKey key, out bool fromA)
    {
        key = default;
        fromA = true;
        ushort sourcePort;
        ushort destinationPort;
        switch (packet.Protocol)
        {
            case IpProtocol.Tcp or IpProtocol.Udp:
                if (!packet.HasPorts)
                {
                    return false;
                }

                sourcePort = packet.SourcePort;
                destinationPort = packet.DestinationPort;
                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6:
                if (!packet.IsIcmp || !IsEcho(packet))
                {
                    return false;
                }

                sourcePort = destinationPort = packet.IcmpIdentifier;
                break;
            default:
                sourcePort = destinationPort = 0;
                break;
        }

        fromA = packet.Source < packet.Destination || (packet.Source == packet.Destination && sourcePort <= destinationPort);
        key.IsIPv6 = packet.IsIPv6;
        key.Protocol = packet.Protocol;
        if (fromA)
        {
            key.A = packet.Source;
            key.PortA = sourcePort;
            key.B = packet.Destination;
            key.PortB = destinationPort;
        }
        else
        {
            key.A = packet.Destination;
            key.PortA = destinationPort;
            key.B = packet.Source;
            key.PortB = sourcePort;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Bucket(in FlowKey key)
    {
        var hash = default(HashCode);
        hash.Add(key.A);
        hash.Add(key.B);
        hash.Add(key.PortA | ((uint)key.PortB << 16));
        hash.Add(key.Protocol | (key.IsIPv6 ? 0x100 : 0));
        return hash.ToHashCode() & _bucketMask;
    }

    private static bool IsAssured(in Entry e) =>
        (e.Flags & Entry.Replied) != 0 && (e.Protocol != IpProtocol.Tcp || e.State == ConntrackState.TcpEstablished);

    private void Advance(ref Entry e, in PacketFields packet, bool reply, long now)
    {
        if (reply)
        {
            e.Flags |= Entry.Replied;
        }

        if (e.Protocol == IpProtocol.Tcp)
        {
            TcpFlags flags = packet.TcpFlags;
            bool syn = (flags & TcpFlags.Syn) != 0;
            bool ack = (flags & TcpFlags.Ack) != 0;
            if ((flags & TcpFlags.Rst) != 0)
            {
                e.State = ConntrackState.TcpClosed;
            }
            else if (e.State is ConntrackState.TcpClosed or ConntrackState.TcpTimeWait && !reply && syn && !ack)
            {
                // The tuple is reused by a new connection.
                e.State = ConntrackState.TcpSynSent;
                e.Flags &= unchecked((byte)~(Entry.Replied | Entry.FinOriginal | Entry.FinReply));
            }
            else
            {
                if (e.State == ConntrackState.TcpSynSent && reply && syn && ack)
                {
                    e.State = ConntrackState.TcpSynReceived;
                }
                else if (e.State == ConntrackState.TcpSynReceived && !reply && ack && !syn)
                {
                    e.State = ConntrackState.TcpEstablished;
                }

                if ((flags & TcpFlags.Fin) != 0 && e.State != ConntrackState.TcpClosed)
                {
                    e.Flags |= reply ? Entry.FinReply : Entry.FinOriginal;
                    e.State = (e.Flags & (Entry.FinOriginal | Entry.FinReply)) == (Entry.FinOriginal | Entry.FinReply)
                        ? ConntrackState.TcpTimeWait
                        : ConntrackState.TcpClosing;
                }
            }
        }
        else
        {
            e.State = (e.Flags & Entry.Replied) != 0 ? ConntrackState.Replied : ConntrackState.Unreplied;
        }

        e.LastSeen = now;
        e.Expires = now + Timeout(e);
    }

    private long Timeout(in Entry e)
    {
        bool replied = (e.Flags & Entry.Replied) != 0;
        return e.Protocol switch
        {
            IpProtocol.Tcp => _tcpTimeouts[(int)e.State],
            IpProtocol.Udp => replied ? _udpReplied : _udpUnreplied,
            IpProtocol.Icmp or IpProtocol.IcmpV6 => _icmpEcho,
            _ => replied ? _otherReplied : _otherUnreplied,
        };
    }

    private static ConntrackFlow ToFlow(in Entry e)
    {
        bool originIsA = (e.Flags & Entry.OriginIsA) != 0;
        bool v6 = (e.Flags & Entry.IPv6) != 0;
        var original = new PacketFields
        {
            Ingress = e.Ingress,
            Egress = e.Egress,
            IsIPv6 = v6,
            Source = originIsA ? e.A : e.B,
            Destination = originIsA ? e.B : e.A,
            Protocol = e.Protocol,
        };
        if (e.Protocol is IpProtocol.Tcp or IpProtocol.Udp)
        {
            original.HasPorts = true;
            original.SourcePort = originIsA ? e.PortA : e.PortB;
            original.DestinationPort = originIsA ? e.PortB : e.PortA;
            original.TcpFlags = e.Protocol == IpProtocol.Tcp ? TcpFlags.Syn : TcpFlags.None;
        }
        else if (e.Protocol is IpProtocol.Icmp or IpProtocol.IcmpV6)
        {
            original.IsIcmp = true;
            original.IcmpType = EchoRequest(v6);
            original.IcmpIdentifier = e.PortA;
        }

        return new ConntrackFlow(original, (e.Flags & Entry.Inbound) != 0 ? PacketDirection.Inbound : PacketDirection.Outbound, e.State);
    }

    private static long Ticks(TimeSpan timeout, long frequency) =>
        (long)((Int128)timeout.Ticks * frequency / TimeSpan.TicksPerSecond);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Enter(ref Stripe stripe)
    {
        if (Interlocked.CompareExchange(ref stripe.Lock, 1, 0) != 0)
        {
            EnterContended(ref stripe);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void EnterContended(ref Stripe stripe)
    {
        // Spin, then yield (never sleep): the holder runs for nanoseconds unless it was preempted.
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        while (Volatile.Read(ref stripe.Lock) != 0 || Interlocked.CompareExchange(ref stripe.Lock, 1, 0) != 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Exit(ref Stripe stripe) => Volatile.Write(ref stripe.Lock, 0);

    private struct FlowKey
    {
        public UInt128 A;
        public UInt128 B;
        public ushort PortA;
        public ushort PortB;
        public byte Protocol;
        public bool IsIPv6;
    }

    private struct Entry
    {
        public const byte Used = 1;
        public const byte IPv6 = 2;
        public const byte OriginIsA = 4;
        public const byte Replied = 8;
        public const byte FinOriginal = 16;
        public const byte FinReply = 32;
        public const byte Inbound = 64;

        public UInt128 A;
        public UInt128 B;
        public long Expires;
        public long LastSeen;
        public PortId Ingress;
        public PortId Egress;
        public ushort PortA;
        public ushort PortB;
        public byte Protocol;
        public byte Flags;
        public ConntrackState State;

        public readonly FlowKey Key => new()
        {
            A = A, B = B, PortA = PortA, PortB = PortB, Protocol = Protocol, IsIPv6 = (Flags & IPv6) != 0,
        };

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly bool Holds(in FlowKey key) =>
            (Flags & Used) != 0 && A == key.A && B == key.B && PortA == key.PortA && PortB == key.PortB
            && Protocol == key.Protocol && ((Flags & IPv6) != 0) == key.IsIPv6;
    }

    // One stripe: its lock and its counters, alone on two cache lines so stripes never share one.
    [StructLayout(LayoutKind.Explicit, Size = 128)]
    private struct Stripe
    {
        [FieldOffset(0)]
        public int Lock;

        [FieldOffset(8)]
        public long Entries;

        [FieldOffset(16)]
        public long Inserts;

        [FieldOffset(24)]
        public long Evictions;

        [FieldOffset(32)]
        public long Expirations;

        [FieldOffset(40)]
        public long Hits;

        [FieldOffset(48)]
        public long Misses;

        [FieldOffset(56)]
        public long InsertFailures;

        [FieldOffset(64)]
        public long Removals;
    }
}
