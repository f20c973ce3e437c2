namespace RouterHost.Packets;

/// <summary>
/// A token bucket (rate per second, burst) for the replies the router makes itself (firewall rejects, ICMP errors),
/// so it cannot be used to reflect or amplify traffic. Implemented as GCRA, the virtual-scheduling form of a token bucket: one 64-bit "theoretical arrival
/// time" updated with compare-exchange, so any number of threads share it without locks or allocation. Time comes
/// from <see cref="TimeProvider.GetTimestamp"/> (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> for the
/// system provider), or is passed in.
/// </summary>
public sealed class TokenBucket
{
    private readonly TimeProvider _time;
    private readonly long _interval;
    private readonly long _tolerance;
    private long _theoreticalArrival = long.MinValue;

    /// <summary>Creates a bucket that starts full.</summary>
    /// <param name="ratePerSecond">Tokens added per second (refill rate).</param>
    /// <param name="burst">Tokens the bucket holds (at least 1).</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public TokenBucket(double ratePerSecond, int burst, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ratePerSecond, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _time = time ?? TimeProvider.System;
        _interval = Math.Max(1, (long)(_time.TimestampFrequency / ratePerSecond));
        _tolerance = _interval * (burst - 1);
        RatePerSecond = ratePerSecond;
        Burst = burst;
    }

    /// <summary>Tokens added per second.</summary>
    public double RatePerSecond { get; }

    /// <summary>The bucket's size.</summary>
    public int Burst { get; }

    /// <summary>Takes a token now; false when the bucket is empty.</summary>
    public bool TryAcquire() => TryAcquire(_time.GetTimestamp());

    /// <summary>Takes a token at <paramref name="timestamp"/> (in the provider's ticks); false when empty.</summary>
    public bool TryAcquire(long timestamp)
    {
        while (true)
        {
            long tat = Volatile.Read(ref _theoreticalArrival);
            long start = Math.Max(tat, timestamp);
            if (start - timestamp > _tolerance)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _theoreticalArrival, start + _interval, tat) == tat)
            {
                return true;
            }
        }
    }
}
