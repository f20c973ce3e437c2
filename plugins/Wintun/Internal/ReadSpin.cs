namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// Whether a reader that found the ring empty should poll it a little longer before sleeping on Wintun's read
/// event. Sleeping costs a kernel wait and a wake-up per burst; under a high packet rate the next packet usually
/// arrives within microseconds, so a short spin saves that round trip, while at low rates spinning only burns a
/// core. As wireguard-go does on Windows, the rate (bytes read plus bytes written, over windows of half a second)
/// decides: at or above the threshold, and only while that measurement is recent (two windows), the reader polls
/// for up to the spin duration. Timestamps are the caller's (<see cref="TimeProvider.GetTimestamp"/> units), so the
/// decision is a pure function of what it is told. Single-threaded: the queue's reader owns it.
/// </summary>
internal sealed class ReadSpin
{
    private readonly long _windowTicks;
    private readonly long _spinTicks;
    private readonly double _thresholdBytesPerSecond;
    private readonly long _frequency;
    private long _windowStart = long.MinValue;
    private long _windowBytes;
    private double _rate;
    private long _rateMeasuredAt = long.MinValue;

    /// <param name="spin">How long to keep polling; zero disables spinning.</param>
    /// <param name="thresholdBitsPerSecond">The traffic rate from which spinning pays.</param>
    /// <param name="timestampFrequency">Ticks per second of the timestamps passed in.</param>
    public ReadSpin(TimeSpan spin, long thresholdBitsPerSecond, long timestampFrequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timestampFrequency);
        _frequency = timestampFrequency;
        _windowTicks = timestampFrequency / 2;
        _spinTicks = (long)(spin.TotalSeconds * timestampFrequency);
        _thresholdBytesPerSecond = thresholdBitsPerSecond / 8.0;
    }

    /// <summary>The rate measured over the last complete window, in bits per second.</summary>
    public double RateBitsPerSecond => _rate * 8;

    /// <summary>Counts traffic (bytes read and written since the last call) seen at <paramref name="now"/>.</summary>
    public void Add(long bytes, long now)
    {
        if (_windowStart == long.MinValue)
        {
            _windowStart = now;
        }

        _windowBytes += bytes;
        long elapsed = now - _windowStart;
        if (elapsed >= _windowTicks)
        {
            _rate = _windowBytes * (double)_frequency / elapsed;
            _rateMeasuredAt = now;
            _windowStart = now;
            _windowBytes = 0;
        }
    }

    /// <summary>Whether a reader that found the ring empty at <paramref name="now"/> should start spinning.</summary>
    public bool ShouldSpin(long now) =>
        _spinTicks > 0 && _rate >= _thresholdBytesPerSecond && _rateMeasuredAt != long.MinValue && now - _rateMeasuredAt <= 2 * _windowTicks;

    /// <summary>Whether a spin that began at <paramref name="spinStart"/> should go on at <paramref name="now"/>.</summary>
    public bool KeepSpinning(long spinStart, long now) => now - spinStart < _spinTicks;
}
