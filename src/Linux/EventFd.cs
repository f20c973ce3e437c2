namespace RouterHost.Linux;

/// <summary>
/// An eventfd used to wake a thread blocked in <c>poll</c>: <see cref="Signal"/> makes it readable (and it stays
/// readable: it is never drained, because it only ever means "closed").
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

    public void Dispose() => Handle.Dispose();
}
