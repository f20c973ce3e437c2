namespace RouterHost.Pipeline;

/// <summary>
/// Serializes the write path of a queue that more than one worker thread writes to (the queue contract allows
/// one writer at a time). Taken once per batch, not per packet, and only created for queues that are actually
/// shared; in the usual topology (equal queue counts) no gate exists.
/// </summary>
internal sealed class WriteGate
{
    private int _held;

    public void Enter()
    {
        if (Interlocked.CompareExchange(ref _held, 1, 0) == 0)
        {
            return;
        }

        var spinner = new SpinWait();
        while (Interlocked.CompareExchange(ref _held, 1, 0) != 0)
        {
            spinner.SpinOnce();
        }
    }

    public void Exit() => Volatile.Write(ref _held, 0);
}
