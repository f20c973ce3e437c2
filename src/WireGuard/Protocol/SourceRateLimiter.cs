namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// Per-source token buckets for handshake messages while the node is under load (as wireguard-go's
/// <c>ratelimiter</c>): each IPv4 address, and each IPv6 /64, may have 20 messages a second handled, in bursts of
/// up to 5. Entries idle for a second are forgotten; at most <see cref="MaxSources"/> are kept, and a new source
/// beyond that is refused (a flood of spoofed sources cannot grow the table). One thread (the handshake thread).
/// </summary>
public sealed class SourceRateLimiter
{
    /// <summary>Messages a second each source may have handled.</summary>
    public const int PerSecond = 20;

    /// <summary>Messages a source may have handled at once after being quiet.</summary>
    public const int Burst = 5;

    /// <summary>Sources tracked at most.</summary>
    public const int MaxSources = 1 << 16;

    private const long CostMs = 1000 / PerSecond;
    private const long CapacityMs = CostMs * Burst;

    private readonly Dictionary<UInt128, Entry> _entries = [];
    private long _lastSweepMs;

    /// <summary>Sources currently tracked.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Whether a message from <paramref name="address"/> (4 or 16 address bytes) may be handled at
    /// <paramref name="nowMs"/>; takes a token if so.
    /// </summary>
    public bool Allow(ReadOnlySpan<byte> address, long nowMs)
    {
        if (nowMs - _lastSweepMs >= 1000)
        {
            Sweep(nowMs);
        }

        UInt128 key = KeyOf(address);
        if (!_entries.TryGetValue(key, out Entry entry))
        {
            if (_entries.Count >= MaxSources)
            {
                return false;
            }

            _entries[key] = new Entry(CapacityMs - CostMs, nowMs);
            return true;
        }

        long tokens = Math.Min(CapacityMs, entry.TokensMs + (nowMs - entry.LastMs));
        if (tokens < CostMs)
        {
            _entries[key] = new Entry(tokens, nowMs);
            return false;
        }

        _entries[key] = new Entry(tokens - CostMs, nowMs);
        return true;
    }

    private static UInt128 KeyOf(ReadOnlySpan<byte> address)
    {
        if (address.Length == 4)
        {
            return new UInt128(0, 0xffff_0000_0000UL | System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(address));
        }

        // An IPv6 source is limited per /64: one host owns at least that much.
        return new UInt128(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(address), 1);
    }

    private void Sweep(long nowMs)
    {
        _lastSweepMs = nowMs;
        List<UInt128>? idle = null;
        foreach (KeyValuePair<UInt128, Entry> pair in _entries)
        {
            if (nowMs - pair.Value.LastMs >= 1000)
            {
                (idle ??= []).Add(pair.Key);
            }
        }

        if (idle is not null)
        {
            foreach (UInt128 key in idle)
            {
                _entries.Remove(key);
            }
        }
    }

    private readonly record struct Entry(long TokensMs, long LastMs);
}
