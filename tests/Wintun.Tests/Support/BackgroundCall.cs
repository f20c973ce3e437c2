using System.Runtime.ExceptionServices;

namespace RouterHost.Plugins.Wintun.Tests.Support;

/// <summary>A call running on its own thread (a reader blocked in Read, a writer held inside Wintun), joined with a liveness bound.</summary>
internal sealed class BackgroundCall<T>
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(20);

    private readonly Thread _thread;
    private T? _result;
    private Exception? _error;

    public BackgroundCall(Func<T> call)
    {
        _thread = new Thread(() =>
        {
            try
            {
                _result = call();
            }
            catch (Exception ex)
            {
                _error = ex;
            }
        })
        { IsBackground = true, Name = "test call" };
        _thread.Start();
    }

    /// <summary>Whether the call has returned (or thrown).</summary>
    public bool IsCompleted => !_thread.IsAlive;

    /// <summary>Waits for the call and returns its result, rethrowing what it threw.</summary>
    public T Result()
    {
        Assert.True(_thread.Join(Liveness), "the call did not return");
        if (_error is not null)
        {
            ExceptionDispatchInfo.Throw(_error);
        }

        return _result!;
    }

    /// <summary>Waits for the call, which must have thrown, and returns what it threw.</summary>
    public Exception Error()
    {
        Assert.True(_thread.Join(Liveness), "the call did not return");
        return Assert.IsAssignableFrom<Exception>(_error);
    }
}
