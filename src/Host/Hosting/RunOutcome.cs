namespace RouterHost.Hosting;

/// <summary>How a run ended: the process exit code is 1 if anything failed while running.</summary>
internal sealed class RunOutcome
{
    private string? _failure;

    public string? Failure => Volatile.Read(ref _failure);

    public int ExitCode => Failure is null ? 0 : 1;

    public void Fail(string reason) => Interlocked.CompareExchange(ref _failure, reason, null);
}
