using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// Counts the threads inside a Wintun session so it is ended only after every one of them has left. A thread
/// <see cref="TryEnter"/>s before calling into the session and <see cref="Exit"/>s after; once
/// <see cref="CloseAndWait"/> has begun, entering fails (the caller counts a drop or returns "closed"), and
/// <see cref="CloseAndWait"/> returns when the last thread is out. One interlocked add per enter and per exit,
/// no lock: the reader enters once per batch, a writer once per packet (Wintun itself takes a critical section
/// per call, so this is the same order of cost).
/// </summary>
internal sealed class SessionGate
{
    private const int ClosingBit = 1 << 30;
    private const int CountMask = ClosingBit - 1;

    private int _state;

    /// <summary>Whether <see cref="CloseAndWait"/> has begun.</summary>
    public bool IsClosing => (Volatile.Read(ref _state) & ClosingBit) != 0;

    /// <summary>How many threads are inside now.</summary>
    public int Inside => Volatile.Read(ref _state) & CountMask;

    /// <summary>Enters the session; false once closing (the caller must not touch the session).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnter()
    {
        if ((Interlocked.Increment(ref _state) & ClosingBit) == 0)
        {
            return true;
        }

        Interlocked.Decrement(ref _state);
        return false;
    }

    /// <summary>Leaves the session (after a successful <see cref="TryEnter"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Interlocked.Decrement(ref _state);

    /// <summary>
    /// Refuses every later entry and waits until no thread is inside. Returns false if some thread is still inside
    /// after <paramref name="timeout"/> (a wedged thread): the caller must then leave the session alive rather than
    /// end it under that thread.
    /// </summary>
    public bool CloseAndWait(TimeSpan timeout)
    {
        Interlocked.Or(ref _state, ClosingBit);
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        var spin = default(SpinWait);
        while ((Volatile.Read(ref _state) & CountMask) != 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            spin.SpinOnce();
        }

        return true;
    }
}
