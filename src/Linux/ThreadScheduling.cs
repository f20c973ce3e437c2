namespace RouterHost.Linux;

/// <summary>Puts the calling thread under the real-time policy <c>SCHED_FIFO</c> (<c>sched_setscheduler</c> on the thread itself).</summary>
public static unsafe class ThreadScheduling
{
    /// <summary>
    /// Makes the calling thread <c>SCHED_FIFO</c> at <paramref name="priority"/> (1..99); false with the errno's text and
    /// the usual fix when the kernel refuses (<c>EPERM</c>: no <c>CAP_SYS_NICE</c>, or systemd's <c>RestrictRealtime=yes</c>).
    /// </summary>
    public static bool TrySetFifo(int priority, out string? error)
    {
        Interop.Libc.sched_param param = new() { sched_priority = priority };
        if (Interop.Libc.sched_setscheduler(0, Interop.Libc.SCHED_FIFO, &param) != 0)
        {
            int errno = Errno.Last;
            error = $"sched_setscheduler SCHED_FIFO priority {priority} failed: {Errno.Describe(errno)}" +
                (errno == Errno.EPERM ? " (it needs CAP_SYS_NICE, which root has, and a unit without RestrictRealtime=yes: for routerhost.service, " +
                "a drop-in (systemctl edit routerhost) with AmbientCapabilities=CAP_SYS_NICE, CapabilityBoundingSet=CAP_SYS_NICE and RestrictRealtime=no)" : string.Empty);
            return false;
        }

        error = null;
        return true;
    }
}
