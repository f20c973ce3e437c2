using System.Runtime.CompilerServices;

namespace RouterHost.Abstractions;

/// <summary>
/// Counts drops by reason without allocating: one slot per registered reason, plus a short list of the reasons
/// touched since the last <see cref="Clear"/> so draining does not scan every slot. Single-threaded.
/// </summary>
public sealed class DropTally
{
    private readonly long[] _counts = new long[DropReason.MaxReasons];
    private readonly ushort[] _touched = new ushort[DropReason.MaxReasons];
    private int _touchedCount;

    /// <summary>How many drops were counted since the last clear.</summary>
    public long Total { get; private set; }

    /// <summary>Counts <paramref name="count"/> drops for <paramref name="reason"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(DropReason reason, long count = 1)
    {
        int id = reason.Id;
        if (_counts[id] == 0)
        {
            _touched[_touchedCount++] = (ushort)id;
        }

        _counts[id] += count;
        Total += count;
    }

    /// <summary>The number of distinct reasons counted since the last clear.</summary>
    public int ReasonCount => _touchedCount;

    /// <summary>The <paramref name="index"/>-th reason counted, with its count.</summary>
    public (DropReason Reason, long Count) GetEntry(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_touchedCount, nameof(index));
        int id = _touched[index];
        return (DropReason.FromId(id), _counts[id]);
    }

    /// <summary>The count for one reason.</summary>
    public long this[DropReason reason] => _counts[reason.Id];

    /// <summary>Resets every count to zero.</summary>
    public void Clear()
    {
        for (int i = 0; i < _touchedCount; i++)
        {
            _counts[_touched[i]] = 0;
        }

        _touchedCount = 0;
        Total = 0;
    }
}
