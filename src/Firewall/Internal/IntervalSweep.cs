namespace RouterHost.Firewall.Internal;

/// <summary>
/// Cuts a field's domain into elementary intervals, each with the set of rules whose condition holds on all of
/// it: a sweep over interval start/end events keeping a per-rule coverage count (a rule may list overlapping
/// ranges). Adjacent intervals with the same set are merged.
/// </summary>
internal static class IntervalSweep
{
    public static (UInt128[] Starts, int[] Sets) Run(
        UInt128 max, List<(UInt128 First, UInt128 Last, int Rule)> intervals, List<int> universal, int ruleCount, BitsetPoolBuilder pool)
    {
        var events = new List<(UInt128 Position, int Rule, int Delta)>(intervals.Count * 2);
        foreach ((UInt128 first, UInt128 last, int rule) in intervals)
        {
            events.Add((first, rule, 1));
            if (last < max)
            {
                events.Add((last + 1, rule, -1));
            }
        }

        events.Sort((a, b) => a.Position.CompareTo(b.Position));
        int[] coverage = new int[ruleCount];
        ulong[] bits = new ulong[pool.Words];
        foreach (int rule in universal)
        {
            bits[rule >> 6] |= 1UL << (rule & 63);
        }

        var starts = new List<UInt128>();
        var sets = new List<int>();
        UInt128 position = 0;
        int e = 0;
        while (true)
        {
            for (; e < events.Count && events[e].Position == position; e++)
            {
                (_, int rule, int delta) = events[e];
                int before = coverage[rule];
                coverage[rule] = before + delta;
                if (before == 0 && delta > 0)
                {
                    bits[rule >> 6] |= 1UL << (rule & 63);
                }
                else if (before + delta == 0)
                {
                    bits[rule >> 6] &= ~(1UL << (rule & 63));
                }
            }

            int set = pool.Add(bits);
            if (sets.Count == 0 || sets[^1] != set)
            {
                starts.Add(position);
                sets.Add(set);
            }

            if (e == events.Count)
            {
                break;
            }

            position = events[e].Position;
        }

        return (starts.ToArray(), sets.ToArray());
    }

    /// <summary>Expands the intervals of a small domain (0..max) into a direct table: value → set index.</summary>
    public static int[] ToDirectTable(int size, UInt128[] starts, int[] sets)
    {
        int[] table = new int[size];
        for (int i = 0; i < starts.Length; i++)
        {
            int from = (int)starts[i];
            int to = i + 1 < starts.Length ? (int)starts[i + 1] : size;
            table.AsSpan(from, to - from).Fill(sets[i]);
        }

        return table;
    }
}
