namespace RouterHost.Linux;

/// <summary>
/// How a queue tells its reading thread to stop: a flag the reader checks between reads, and an <see cref="EventFd"/>
/// that wakes it from <c>poll</c> (<see cref="ReadinessWait"/>). <see cref="Close"/> is thread-safe and may be called
/// any number of times; the queue's own <c>Dispose</c> starts with <see cref="TryBeginDispose"/>, so it runs once.
/// </summary>
public sealed class CloseSignal : IDisposable
{
    private volatile bool _closed;
    private int _disposing;

    /// <summary>The eventfd a blocked reader polls beside its own descriptor.</summary>
    public EventFd Event { get; } = new();

    /// <summary>Whether <see cref="Close"/> has been called.</summary>
    public bool IsClosed => _closed;

    /// <summary>Marks the queue closed and wakes a reader blocked in <c>poll</c>.</summary>
    public void Close()
    {
        _closed = true;
        Event.Signal();
    }

    /// <summary>
    /// Closes, and returns true the first time only: the caller then releases what the queue owns and disposes this
    /// signal last; false means another call is disposing (or has disposed) the queue.
    /// </summary>
    public bool TryBeginDispose()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
        {
            return false;
        }

        Close();
        return true;
    }

    /// <summary>Releases the eventfd.</summary>
    public void Dispose() => Event.Dispose();
}
