namespace RouterHost.Firewall.Internal;

/// <summary>
/// Collects the distinct rule bitsets the field tables point at (identical sets are stored once), then lays
/// them out in one array, with a summary per set: bit <c>w</c> of the summary says word <c>w</c> is non-zero.
/// </summary>
internal sealed class BitsetPoolBuilder
{
    private readonly List<ulong[]> _sets = [];
    private readonly Dictionary<ulong[], int> _index = new(ContentComparer.Instance);

    public BitsetPoolBuilder(int words) => Words = words;

    public int Words { get; }

    public int SummaryWords => (Words + 63) >> 6;

    public int Count => _sets.Count;

    /// <summary>The index of a set with these bits, adding a copy when it is new.</summary>
    public int Add(ulong[] bits)
    {
        if (_index.TryGetValue(bits, out int existing))
        {
            return existing;
        }

        ulong[] copy = (ulong[])bits.Clone();
        int index = _sets.Count;
        _sets.Add(copy);
        _index.Add(copy, index);
        return index;
    }

    public (ulong[] Bits, ulong[] Summaries) Build()
    {
        ulong[] bits = new ulong[Math.Max(1, _sets.Count) * Words];
        ulong[] summaries = new ulong[Math.Max(1, _sets.Count) * SummaryWords];
        for (int i = 0; i < _sets.Count; i++)
        {
            ulong[] set = _sets[i];
            set.CopyTo(bits, i * Words);
            for (int w = 0; w < Words; w++)
            {
                if (set[w] != 0)
                {
                    summaries[(i * SummaryWords) + (w >> 6)] |= 1UL << (w & 63);
                }
            }
        }

        return (bits, summaries);
    }

    private sealed class ContentComparer : IEqualityComparer<ulong[]>
    {
        public static readonly ContentComparer Instance = new();

        public bool Equals(ulong[]? x, ulong[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(ulong[] obj)
        {
            ulong hash = 14695981039346656037UL;
            foreach (ulong word in obj)
            {
                hash = (hash ^ word) * 1099511628211UL;
                hash ^= hash >> 29;
            }

            return (int)(hash ^ (hash >> 32));
        }
    }
}
