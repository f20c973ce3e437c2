namespace RouterHost.Linux;

/// <summary>
/// Ties a child process's life to its parent's: with <c>PR_SET_PDEATHSIG</c> the kernel sends SIGTERM when the parent
/// dies, however it dies (also SIGKILL), so a supervisor's children never outlive it.
/// </summary>
public static class ParentWatch
{
    /// <summary>
    /// Asks for SIGTERM when the parent dies; false (errno in <paramref name="error"/>) if the kernel refused, and false
    /// with no error when the parent is already not <paramref name="expectedParent"/> (it died before this call).
    /// </summary>
    public static bool ExitWithParent(int expectedParent, out string? error)
    {
        if (Interop.Libc.prctl(Interop.Libc.PR_SET_PDEATHSIG, Interop.Libc.SIGTERM, 0, 0, 0) != 0)
        {
            error = $"prctl(PR_SET_PDEATHSIG) failed: {Errno.Describe(Errno.Last)}";
            return false;
        }

        error = null;
        return Interop.Libc.getppid() == expectedParent;
    }
}
