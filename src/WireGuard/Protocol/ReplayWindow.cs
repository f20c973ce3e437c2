using System.Runtime.CompilerServices;

namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// The receive side's anti-replay filter for one session (RFC 6479's ring of bitmap blocks), lock-free so several
/// receiving threads may check counters of one session at once. A counter is accepted once, if it is below
/// <see cref="ProtocolLimits.RejectAfterMessages"/> and less than <see cref="WindowSize"/> behind the highest counter
/// accepted so far.
/// <para>
/// The ring has 256 blocks of 32 counters. Each block is one 64-bit word: the upper half tags which block of
/// counters it holds (the low 32 bits of <c>counter / 32</c>), the lower half is its bitmap, so claiming a stale
/// block for a newer one and setting a bit are each one compare-and-swap. A block one ring length newer than a
/// counter means the counter fell out of the window. Window: (256 − 1) × 32 = 8160 counters (WireGuard asks for
/// at least 8128; wireguard-go uses 8128 + 64).
/// </para>
/// Check only after the message authenticated: a forged counter must not move the window.
/// </summary>
public sealed class ReplayWindow
{
    private const int BlockBits = 32;
    private const int BlockShift = 5;
    private const int RingBlocks = 256;
    private const int RingMask = RingBlocks - 1;

    /// <summary>How far behind the highest accepted counter a counter may be and still be accepted once.</summary>
    public const ulong WindowSize = (RingBlocks - 1) * BlockBits;

    private readonly long[] _ring = new long[RingBlocks];
    private long _greatest = -1; // highest accepted counter; counters stay below 2^63 in practice (see TryAccept)

    /// <summary>The highest counter accepted so far, or null.</summary>
    public ulong? Greatest
    {
        get
        {
            long greatest = Volatile.Read(ref _greatest);
            return greatest < 0 ? null : (ulong)greatest;
        }
    }

    /// <summary>
    /// Accepts <paramref name="counter"/> if it is new and inside the window; false if it was seen, is too old, or
    /// is at or past <see cref="ProtocolLimits.RejectAfterMessages"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAccept(ulong counter)
    {
        // Counters at or above 2^63 cannot come from a live session (RejectAfterTime ends it long before), and
        // refusing them keeps the signed arithmetic below exact. RejectAfterMessages is above 2^63, so this also
        // enforces it.
        if (counter >= (1UL << 63))
        {
            return false;
        }

        long c = (long)counter;
        long greatest = Volatile.Read(ref _greatest);
        if (greatest >= 0 && greatest - c >= (long)WindowSize)
        {
            return false;
        }

        long block = c >> BlockShift;
        uint tag = (uint)block;
        long bit = 1L << (int)(c & (BlockBits - 1));
        ref long slot = ref _ring[(int)(block & RingMask)];
        while (true)
        {
            long word = Volatile.Read(ref slot);
            uint wordTag = (uint)((ulong)word >> 32);
            long updated;
            if (wordTag == tag && word != 0)
            {
                if ((word & bit) != 0)
                {
                    return false;
                }

                updated = word | bit;
            }
            else if (word == 0 || (int)(tag - wordTag) > 0)
            {
                // The slot holds an older block (or nothing): claim it for this block, its old bits forgotten.
                updated = ((long)tag << 32) | bit;
            }
            else
            {
                // A newer block took the slot: this counter is more than a ring behind.
                return false;
            }

            if (Interlocked.CompareExchange(ref slot, updated, word) == word)
            {
                break;
            }
        }

        long seen = greatest;
        while (c > seen)
        {
            long previous = Interlocked.CompareExchange(ref _greatest, c, seen);
            if (previous == seen)
            {
                break;
            }

            seen = previous;
        }

        return true;
    }

    /// <summary>
    /// Forgets every counter (benchmarks replay the same sealed messages on the accepting path). Not thread-safe: call
    /// only while no thread receives on the session.
    /// </summary>
    internal void ResetForBenchmark()
    {
        Array.Clear(_ring);
        Volatile.Write(ref _greatest, -1);
    }
}
