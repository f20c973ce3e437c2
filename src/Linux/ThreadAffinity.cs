namespace RouterHost.Linux;

/// <summary>Pins the calling thread to one CPU (<c>sched_setaffinity</c> on the thread itself).</summary>
public static unsafe class ThreadAffinity
{
    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false with the errno's text when the kernel refuses.</summary>
    public static bool TryPin(int cpu, out string? error)
    {
        if ((uint)cpu >= Interop.Libc.CPU_SETSIZE_BYTES * 8)
        {
            error = $"CPU {cpu} is beyond the {Interop.Libc.CPU_SETSIZE_BYTES * 8} a CPU set holds";
            return false;
        }

        byte* mask = stackalloc byte[Interop.Libc.CPU_SETSIZE_BYTES];
        new Span<byte>(mask, Interop.Libc.CPU_SETSIZE_BYTES).Clear();
        mask[cpu >> 3] = (byte)(1 << (cpu & 7));
        if (Interop.Libc.sched_setaffinity(0, Interop.Libc.CPU_SETSIZE_BYTES, mask) != 0)
        {
            error = $"sched_setaffinity to CPU {cpu} failed: {Errno.Describe(Errno.Last)}";
            return false;
        }

        error = null;
        return true;
    }
}
