namespace RouterHost.Plugins.Wintun.Tests.Support;

/// <summary>A clock the test moves: <see cref="GetTimestamp"/> returns <see cref="Now"/>, then adds <see cref="Step"/>.</summary>
internal sealed class ManualTime : TimeProvider
{
    private long _now = 1_000_000_000;

    /// <summary>Ticks per second (one tick = one nanosecond).</summary>
    public override long TimestampFrequency => 1_000_000_000;

    /// <summary>How far each reading moves the clock.</summary>
    public long Step { get; set; }

    public long Now => Volatile.Read(ref _now);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _now, (long)(by.TotalSeconds * TimestampFrequency));

    public override long GetTimestamp() => Interlocked.Add(ref _now, Step) - Step;
}
