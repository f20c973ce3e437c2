using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// Our 32-bit indices (the receiver index of messages sent to us) mapped to what they belong to: a handshake under
/// way or a session. Indices are random, so they reveal nothing and cannot be guessed. Lookups are lock-free and
/// allocation-free (the receive path); adding and removing happen on the handshake thread.
/// </summary>
public sealed class IndexTable<T>
    where T : class
{
    private readonly ConcurrentDictionary<uint, T> _entries = new();

    /// <summary>How many indices are in use.</summary>
    public int Count => _entries.Count;

    /// <summary>Assigns a fresh random index (never 0) to <paramref name="value"/>.</summary>
    public uint Add(T value)
    {
        while (true)
        {
            uint index = (uint)RandomNumberGenerator.GetInt32(1, int.MaxValue) ^ ((uint)RandomNumberGenerator.GetInt32(0, 2) << 31);
            if (index != 0 && _entries.TryAdd(index, value))
            {
                return index;
            }
        }
    }

    /// <summary>Points an index already in use at <paramref name="value"/> (a handshake's index becoming its session's).</summary>
    public void Replace(uint index, T value) => _entries[index] = value;

    /// <summary>Finds what <paramref name="index"/> belongs to.</summary>
    public bool TryGet(uint index, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value) => _entries.TryGetValue(index, out value);

    /// <summary>Frees <paramref name="index"/> if it still belongs to <paramref name="value"/>.</summary>
    public bool Remove(uint index, T value) => _entries.TryRemove(new KeyValuePair<uint, T>(index, value));
}
