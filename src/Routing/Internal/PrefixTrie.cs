namespace RouterHost.Routing.Internal;

/// <summary>
/// The builder's side of a leaf-pushed multibit trie (DIR-16-8-8 for IPv4; 16 then <see cref="Stride"/>-bit
/// levels for IPv6), with DPDK rte_lpm's update rules: every leaf entry carries the length of the prefix that
/// set it, so adding a prefix overwrites only entries set by shorter ones, and removing it restores the entries
/// it set (exactly those of its length in its range) to its longest covering prefix. Both touch only the
/// prefix's own range, never the whole table. Chunks that become uniform after a removal fold back into their
/// parent entry.
/// <para>
/// Copy on write: the root, the chunk list and every chunk are shared with the snapshots already frozen and
/// copied on their first write after a freeze (tracked by an epoch per chunk).
/// </para>
/// <para>
/// Entry encoding (uint): 0 = no route; bit 31 set = a child chunk, its index in bits 0..30; otherwise a leaf,
/// (group index + 1) in bits 8..30 and the setting prefix's length in bits 0..7.
/// </para>
/// </summary>
internal sealed class PrefixTrie
{
    public const int RootBits = 16;
    public const uint ChildFlag = 0x8000_0000u;
    public const int MaxGroups = (1 << 23) - 2;

    private readonly int _stride;
    private readonly int _chunkSize;
    private uint[] _root;
    private uint[][] _chunks;
    private int[] _chunkEpoch;
    private int _highWater;
    private readonly Stack<int> _free = new();
    private readonly List<(int Parent, int Index, int Chunk)> _path = [];
    private int _epoch = 1;
    private bool _rootShared;
    private bool _chunksShared;

    public PrefixTrie(int stride)
    {
        _stride = stride;
        _chunkSize = 1 << stride;
        _root = new uint[1 << RootBits];
        _chunks = new uint[16][];
        _chunkEpoch = new int[16];
    }

    /// <summary>Adopts a snapshot's arrays (shared until written).</summary>
    public PrefixTrie(TrieSnapshot snapshot)
    {
        _stride = snapshot.Stride;
        _chunkSize = 1 << _stride;
        _root = snapshot.Root;
        _chunks = snapshot.Chunks;
        _chunkEpoch = new int[_chunks.Length];
        _rootShared = true;
        _chunksShared = true;
        _highWater = snapshot.HighWater;
        for (int c = _highWater - 1; c >= 0; c--)
        {
            if (_chunks[c] is null)
            {
                _free.Push(c);
            }
        }
    }

    public int Stride => _stride;

    public int ChunkCount => _highWater - _free.Count;

    public static uint Leaf(int group, int length) => ((uint)(group + 1) << 8) | (uint)length;

    private static int LengthOf(uint entry) => (int)(entry & 0xFF);

    public TrieSnapshot Freeze()
    {
        _rootShared = true;
        _chunksShared = true;
        _epoch++;
        return new TrieSnapshot(_root, _chunks, _stride, _highWater, ChunkCount);
    }

    /// <summary>Adds the prefix <paramref name="key"/>/<paramref name="length"/> (left-aligned key) as <paramref name="leaf"/>.</summary>
    public void Insert(UInt128 key, int length, uint leaf)
    {
        uint[] entries = WritableRoot();
        int index = (int)(uint)(key >> (128 - RootBits));
        int start = RootBits;
        if (length > RootBits)
        {
            while (true)
            {
                uint entry = entries[index];
                int chunk;
                if ((entry & ChildFlag) != 0)
                {
                    chunk = (int)(entry & ~ChildFlag);
                }
                else
                {
                    chunk = NewChunk(entry);
                    entries[index] = ChildFlag | (uint)chunk;
                }

                entries = WritableChunk(chunk);
                index = ChunkIndex(key, start);
                if (length <= start + _stride)
                {
                    start += _stride;
                    break;
                }

                start += _stride;
            }
        }

        int count = 1 << (start - length);
        for (int i = index; i < index + count; i++)
        {
            Overwrite(entries, i, leaf, length);
        }
    }

    /// <summary>Removes the prefix, giving its entries <paramref name="replacement"/> (its longest covering prefix's leaf, or 0).</summary>
    public void Remove(UInt128 key, int length, uint replacement)
    {
        _path.Clear();
        uint[] entries = WritableRoot();
        int index = (int)(uint)(key >> (128 - RootBits));
        int start = RootBits;
        int parent = -1;
        if (length > RootBits)
        {
            while (true)
            {
                uint entry = entries[index];
                if ((entry & ChildFlag) == 0)
                {
                    return; // not in the trie (the builder only removes prefixes it added)
                }

                int chunk = (int)(entry & ~ChildFlag);
                _path.Add((parent, index, chunk));
                parent = chunk;
                entries = WritableChunk(chunk);
                index = ChunkIndex(key, start);
                start += _stride;
                if (length <= start)
                {
                    break;
                }
            }
        }

        int count = 1 << (start - length);
        for (int i = index; i < index + count; i++)
        {
            Restore(entries, i, length, replacement);
        }

        // Fold chunks that became uniform into their parent entry, deepest first.
        for (int p = _path.Count - 1; p >= 0; p--)
        {
            (int parentChunk, int parentIndex, int chunk) = _path[p];
            uint[] chunkEntries = _chunks[chunk];
            uint first = chunkEntries[0];
            if ((first & ChildFlag) != 0 || chunkEntries.AsSpan().ContainsAnyExcept(first))
            {
                break;
            }

            uint[] parentEntries = parentChunk < 0 ? WritableRoot() : WritableChunk(parentChunk);
            parentEntries[parentIndex] = first;
            FreeChunk(chunk);
        }
    }

    private int ChunkIndex(UInt128 key, int start) => (int)(uint)(key >> (128 - start - _stride)) & (_chunkSize - 1);

    private void Overwrite(uint[] entries, int index, uint leaf, int length)
    {
        uint entry = entries[index];
        if ((entry & ChildFlag) != 0)
        {
            uint[] child = WritableChunk((int)(entry & ~ChildFlag));
            for (int i = 0; i < child.Length; i++)
            {
                Overwrite(child, i, leaf, length);
            }
        }
        else if (entry == 0 || LengthOf(entry) <= length)
        {
            entries[index] = leaf;
        }
    }

    private void Restore(uint[] entries, int index, int length, uint replacement)
    {
        uint entry = entries[index];
        if ((entry & ChildFlag) != 0)
        {
            uint[] child = WritableChunk((int)(entry & ~ChildFlag));
            for (int i = 0; i < child.Length; i++)
            {
                Restore(child, i, length, replacement);
            }
        }
        else if (entry != 0 && LengthOf(entry) == length)
        {
            entries[index] = replacement;
        }
    }

    private uint[] WritableRoot()
    {
        if (_rootShared)
        {
            _root = (uint[])_root.Clone();
            _rootShared = false;
        }

        return _root;
    }

    private uint[][] WritableChunkList()
    {
        if (_chunksShared)
        {
            _chunks = (uint[][])_chunks.Clone();
            _chunksShared = false;
        }

        return _chunks;
    }

    private uint[] WritableChunk(int chunk)
    {
        if (_chunkEpoch[chunk] != _epoch)
        {
            WritableChunkList()[chunk] = (uint[])_chunks[chunk].Clone();
            _chunkEpoch[chunk] = _epoch;
        }

        return _chunks[chunk];
    }

    private int NewChunk(uint fill)
    {
        int chunk;
        if (_free.Count > 0)
        {
            chunk = _free.Pop();
        }
        else
        {
            if (_highWater == int.MaxValue)
            {
                throw new InvalidOperationException("The routing trie is full.");
            }

            chunk = _highWater++;
            if (chunk >= _chunks.Length)
            {
                Array.Resize(ref _chunks, _chunks.Length * 2);
                Array.Resize(ref _chunkEpoch, _chunks.Length);
                _chunksShared = false;
            }
        }

        var entries = new uint[_chunkSize];
        if (fill != 0)
        {
            entries.AsSpan().Fill(fill);
        }

        WritableChunkList()[chunk] = entries;
        _chunkEpoch[chunk] = _epoch;
        return chunk;
    }

    private void FreeChunk(int chunk)
    {
        WritableChunkList()[chunk] = null!;
        _free.Push(chunk);
    }
}
