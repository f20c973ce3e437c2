namespace RouterHost.Linux;

/// <summary>
/// An eventfd used to wake a thread blocked in <c>poll</c>: <see cref="Signal"/> makes it readable, and it stays
/// readable (as "closed" must) until <see cref="Reset"/> drains it (a wake-up that is not a close).
/// </summary>
public sealed unsafe class EventFd : IDisposable
{
    public EventFd()
    {
        int fd = Interop.Libc.eventfd(0, Interop.Libc.EFD_CLOEXEC | Interop.Libc.EFD_NONBLOCK);
        if (fd < 0)
        {
            throw LinuxException.FromLast("eventfd");
        }

        Handle = new SafeFileDescriptor(fd);
    }

    public SafeFileDescriptor Handle { get; }

    public void Signal()
    {
        ulong one = 1;
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            _ = Interop.Libc.write(Handle, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                Handle.DangerousRelease();
            }
        }
    }

    /// <summary>Drains the counter, so the eventfd is no longer readable until the next <see cref="Signal"/>.</summary>
    public void Reset()
    {
        ulong value = 0;
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            _ = Interop.Libc.read(Handle, (byte*)&value, sizeof(ulong)); // EAGAIN when already drained: nothing to do
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                Handle.DangerousRelease();
            }
        }
    }

    public void Dispose() => Handle.Dispose();
}
