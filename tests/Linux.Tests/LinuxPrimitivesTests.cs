using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Linux.Tests;

public sealed unsafe class LinuxPrimitivesTests
{
    [Fact]
    public void A_signalled_eventfd_wakes_poll_and_stays_readable()
    {
        using var eventFd = new EventFd();
        Assert.Equal(0, PollReadable(eventFd.Handle, timeoutMs: 0));

        eventFd.Signal();

        Assert.Equal(1, PollReadable(eventFd.Handle, timeoutMs: 1000));
        Assert.Equal(1, PollReadable(eventFd.Handle, timeoutMs: 0));
    }

    [Fact]
    public void Signalling_a_disposed_eventfd_does_nothing()
    {
        var eventFd = new EventFd();
        eventFd.Dispose();
        eventFd.Signal();
        Assert.True(eventFd.Handle.IsClosed);
    }

    [Fact]
    public void A_file_descriptor_is_closed_exactly_once_on_dispose()
    {
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        Assert.True(fd >= 0, Errno.Describe(Errno.Last));
        var handle = new SafeFileDescriptor(fd);
        Assert.True(File.Exists($"/proc/self/fd/{fd}"));

        handle.Dispose();
        handle.Dispose();

        Assert.False(File.Exists($"/proc/self/fd/{fd}"));
        Assert.True(handle.IsClosed);
    }

    [Fact]
    public void Errors_name_the_operation_and_the_errno()
    {
        int fd = open("/nonexistent/device", O_RDWR);
        Assert.Equal(-1, fd);
        var ex = LinuxException.FromLast("opening /nonexistent/device");
        Assert.Equal(Errno.ENOENT, ex.ErrorNumber);
        Assert.StartsWith("opening /nonexistent/device failed: ENOENT (2): ", ex.Message, StringComparison.Ordinal);
        Assert.Equal("EBADFD", Errno.Name(Errno.EBADFD));
        Assert.Equal("errno", Errno.Name(4095));
    }

    [Fact]
    public void Read_and_write_move_bytes_through_a_descriptor()
    {
        using var eventFd = new EventFd();
        ulong value = 5;
        Assert.Equal(8, (int)write(eventFd.Handle, (byte*)&value, 8));
        ulong read = 0;
        Assert.Equal(8, (int)Interop.Libc.read(eventFd.Handle, (byte*)&read, 8));
        Assert.Equal(5UL, read);
        Assert.Equal(-1, (int)Interop.Libc.read(eventFd.Handle, (byte*)&read, 8));
        Assert.Equal(Errno.EAGAIN, Errno.Last);
    }

    private static int PollReadable(SafeFileDescriptor handle, int timeoutMs)
    {
        var p = new pollfd { fd = handle.Fd, events = POLLIN };
        int n = poll(&p, 1, timeoutMs);
        Assert.True(n >= 0, Errno.Describe(Errno.Last));
        return n;
    }
}

[NeedsRoot]
public sealed class NetworkNamespaceThreadTests
{
    [Fact]
    public void Code_runs_inside_the_named_namespace_and_the_caller_stays_outside()
    {
        string name = $"rh-nsthread-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
        Assert.Equal(0, Run("ip", "netns", "add", name));
        try
        {
            string inside = NetworkNamespaceThread.Run(name, () => File.ReadAllText("/proc/thread-self/net/dev"));
            string outside = File.ReadAllText("/proc/thread-self/net/dev");
            Assert.DoesNotContain("eth", inside, StringComparison.Ordinal);
            Assert.Contains("lo:", inside, StringComparison.Ordinal);
            Assert.NotEqual(ReadLink("/proc/thread-self/ns/net"), NetworkNamespaceThread.Run(name, () => ReadLink("/proc/thread-self/ns/net")));
            Assert.StartsWith("net:[", ReadLink("/proc/thread-self/ns/net"), StringComparison.Ordinal);
        }
        finally
        {
            Run("ip", "netns", "delete", name);
        }
    }

    [Fact]
    public void A_missing_namespace_is_a_clear_error()
    {
        var ex = Assert.Throws<LinuxException>(() => NetworkNamespaceThread.Run("rh-no-such-namespace", () => 1));
        Assert.Contains("'rh-no-such-namespace'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ip netns add", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Errno.ENOENT, ex.ErrorNumber);
    }

    [Fact]
    public void Exceptions_inside_reach_the_caller()
    {
        Assert.Throws<InvalidOperationException>(() => NetworkNamespaceThread.Run(null, () => throw new InvalidOperationException("x")));
    }

    private static string ReadLink(string path) => new FileInfo(path).LinkTarget ?? string.Empty;

    private static int Run(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(info)!;
        p.WaitForExit();
        return p.ExitCode;
    }
}
