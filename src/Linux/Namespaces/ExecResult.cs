namespace RouterHost.Linux.Namespaces;

/// <summary>How a program run by <see cref="NetworkNamespace.Exec(string, string[])"/> or <see cref="ChildProcess.Run"/> ended.</summary>
/// <param name="CommandLine">What was run, for messages.</param>
/// <param name="ExitCode">Its exit status.</param>
/// <param name="StdOut">Everything it wrote to standard output.</param>
/// <param name="StdErr">Everything it wrote to standard error.</param>
public sealed record ExecResult(string CommandLine, int ExitCode, string StdOut, string StdErr)
{
    /// <summary>True when the exit status is 0.</summary>
    public bool Succeeded => ExitCode == 0;

    /// <summary>Returns this result, or throws with the command line and its stderr when it failed.</summary>
    public ExecResult EnsureSuccess() =>
        Succeeded ? this : throw new InvalidOperationException($"`{CommandLine}` exited with {ExitCode}: {StdErr.Trim()}");
}
