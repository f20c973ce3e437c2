namespace RouterHost.Underlay;

/// <summary>
/// The CoDel control law (RFC 8289) over packets' sojourn times: told, packet by packet, how long each waited in a
/// queue in front of its reader (<see cref="UdpReceiveQueue.SojournNs"/>), it answers whether this one is to be
/// signalled — dropped, or marked Congestion Experienced when its transport negotiated ECN — so that a sender which
/// keeps a standing queue (a TCP window larger than the path needs) backs off until the queue drains to the target.
/// <para>
/// When the sojourn has stayed at or above <see cref="TargetNs"/> for a whole <see cref="IntervalNs"/>, CoDel signals
/// one packet and enters the dropping state; while the sojourn stays above target it signals again at
/// <c>interval / sqrt(count)</c> intervals, so the rate rises until the sender yields; the first sojourn below target
/// ends the state. A packet that arrives while the sojourn is low is never signalled, so a queue that drains between
/// bursts (a sender that does not keep a standing queue) is left alone.
/// </para>
/// One instance per queue and reader thread: not thread-safe, no allocation, no locks.
/// </summary>
public sealed class CoDel
{
    private long _firstAboveNs;
    private long _dropNextNs;
    private int _count;
    private int _lastCount;
    private bool _dropping;

    /// <summary>A controller with the given target and interval (both positive, in nanoseconds).</summary>
    /// <param name="targetNs">The sojourn a queue may keep standing (RFC 8289: 5 ms for the Internet).</param>
    /// <param name="intervalNs">How long the sojourn must stay above target before the first signal (about a round trip).</param>
    public CoDel(long targetNs, long intervalNs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetNs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalNs, 1);
        TargetNs = targetNs;
        IntervalNs = intervalNs;
    }

    /// <summary>The acceptable standing sojourn, in nanoseconds.</summary>
    public long TargetNs { get; }

    /// <summary>The sliding window in which the sojourn must dip below target once, in nanoseconds.</summary>
    public long IntervalNs { get; }

    /// <summary>Whether the controller is in its dropping state (the sojourn has stayed above target).</summary>
    public bool Dropping => _dropping;

    /// <summary>Packets signalled so far.</summary>
    public long Signals { get; private set; }

    /// <summary>
    /// Takes one packet's <paramref name="sojournNs"/> at <paramref name="nowNs"/> (any monotonic nanosecond clock;
    /// non-decreasing from call to call) and answers whether to signal it (drop or mark CE). A sojourn of 0 (no
    /// measurement) counts as below target.
    /// </summary>
    public bool Signal(long sojournNs, long nowNs)
    {
        bool okToSignal = false;
        if (sojournNs < TargetNs)
        {
            _firstAboveNs = 0;
        }
        else if (_firstAboveNs == 0)
        {
            _firstAboveNs = nowNs + IntervalNs;
        }
        else if (nowNs >= _firstAboveNs)
        {
            okToSignal = true;
        }

        if (_dropping)
        {
            if (!okToSignal)
            {
                _dropping = false;
                return false;
            }

            if (nowNs < _dropNextNs)
            {
                return false;
            }

            _count++;
            _dropNextNs = ControlLaw(_dropNextNs, _count);
            Signals++;
            return true;
        }

        if (!okToSignal)
        {
            return false;
        }

        // Entering the dropping state: resume near the rate of the last episode when it ended recently (RFC 8289 §5.5).
        _dropping = true;
        int delta = _count - _lastCount;
        _count = delta > 1 && nowNs - _dropNextNs < 16 * IntervalNs ? delta : 1;
        _dropNextNs = ControlLaw(nowNs, _count);
        _lastCount = _count;
        Signals++;
        return true;
    }

    private long ControlLaw(long fromNs, int count) => fromNs + (long)(IntervalNs / Math.Sqrt(count));
}
