using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RouterHost.Routing.Internal;

/// <summary>
/// One frozen trie (see <see cref="PrefixTrie"/> for the encoding): never written again, read by any number of
/// threads. Lookups skip bounds checks: every index is masked to its array's size by construction.
/// </summary>
internal sealed class TrieSnapshot(uint[] root, uint[][] chunks, int stride, int highWater, int chunkCount)
{
    public readonly uint[] Root = root;
    public readonly uint[][] Chunks = chunks;
    public readonly int Stride = stride;
    public readonly int HighWater = highWater;
    public readonly int ChunkCount = chunkCount;

    /// <summary>Bytes held by the root and the chunks.</summary>
    public long Bytes => (Root.Length * 4L) + (Chunks.Length * 8L) + (ChunkCount * ((4L << Stride) + 24));

    /// <summary>The leaf for an IPv4 address (host order); stride 8: at most three loads.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint LookupIPv4(uint address)
    {
        ref uint root = ref MemoryMarshal.GetArrayDataReference(Root);
        uint entry = Unsafe.Add(ref root, address >> 16);
        if ((int)entry < 0)
        {
            ref uint[] chunks = ref MemoryMarshal.GetArrayDataReference(Chunks);
            entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Unsafe.Add(ref chunks, entry & ~PrefixTrie.ChildFlag)), (address >> 8) & 0xFF);
            if ((int)entry < 0)
            {
                entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Unsafe.Add(ref chunks, entry & ~PrefixTrie.ChildFlag)), address & 0xFF);
            }
        }

        return entry;
    }

    /// <summary>The leaf for an IPv6 address given as its two big-endian halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint LookupIPv6(ulong high, ulong low)
    {
        uint entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Root), (nuint)(high >> 48));
        if ((int)entry >= 0)
        {
            return entry;
        }

        ref uint[] chunks = ref MemoryMarshal.GetArrayDataReference(Chunks);
        int stride = Stride;
        ulong mask = (1UL << stride) - 1;
        int position = PrefixTrie.RootBits;
        do
        {
            // A stride divides 48, so no level straddles the two halves.
            ulong index = position < 64 ? (high >> (64 - position - stride)) & mask : (low >> (128 - position - stride)) & mask;
            entry = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(Unsafe.Add(ref chunks, entry & ~PrefixTrie.ChildFlag)), (nuint)index);
            position += stride;
        }
        while ((int)entry < 0);

        return entry;
    }
}
