using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RouterHost.Firewall.Internal;

/// <summary>
/// Address → rule set for one family: the elementary intervals' starts, searched by binary search within the
/// slice a 65536-entry first-level index (by the top 16 bits) points at. Most /16 blocks hold one interval, so a
/// lookup is usually one index read; a block cut by many prefixes costs a short binary search.
/// </summary>
internal sealed class AddressTable
{
    // Below this many intervals a plain binary search is as fast as the index and keeps the table small.
    private const int IndexThreshold = 32;

    private readonly uint[]? _starts32;
    private readonly UInt128[]? _starts128;
    private readonly int[] _sets;
    private readonly int[]? _blockFirst;
    private readonly int[]? _blockLast;
    private readonly int _shift;

    public AddressTable(bool isIPv6, UInt128[] starts, int[] sets)
    {
        _sets = sets;
        _shift = isIPv6 ? 112 : 16;
        if (isIPv6)
        {
            _starts128 = starts;
        }
        else
        {
            _starts32 = Array.ConvertAll(starts, s => (uint)s);
        }

        if (starts.Length >= IndexThreshold)
        {
            _blockFirst = new int[65536];
            _blockLast = new int[65536];
            int i = 0;
            for (int block = 0; block < 65536; block++)
            {
                UInt128 blockStart = (UInt128)(uint)block << _shift;
                UInt128 blockEnd = blockStart | (((UInt128)1 << _shift) - 1);
                while (i + 1 < starts.Length && starts[i + 1] <= blockStart)
                {
                    i++;
                }

                int j = i;
                while (j + 1 < starts.Length && starts[j + 1] <= blockEnd)
                {
                    j++;
                }

                _blockFirst[block] = i;
                _blockLast[block] = j;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindV4(uint address)
    {
        int lo = 0;
        int hi = _sets.Length - 1;
        if (_blockFirst is not null)
        {
            int block = (int)(address >> 16);
            lo = _blockFirst[block];
            hi = _blockLast![block];
        }

        ref uint starts = ref MemoryMarshal.GetArrayDataReference(_starts32!);
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (Unsafe.Add(ref starts, mid) <= address)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _sets[lo];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindV6(UInt128 address)
    {
        int lo = 0;
        int hi = _sets.Length - 1;
        if (_blockFirst is not null)
        {
            int block = (int)(address >> 112);
            lo = _blockFirst[block];
            hi = _blockLast![block];
        }

        UInt128[] starts = _starts128!;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >> 1;
            if (starts[mid] <= address)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return _sets[lo];
    }
}
