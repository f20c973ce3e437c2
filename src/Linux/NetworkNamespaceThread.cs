namespace RouterHost.Linux;

/// <summary>
/// Runs control-plane code inside a named network namespace: on a new, short-lived thread that enters the
/// namespace with <c>setns(CLONE_NEWNET)</c>, so that the devices and sockets it creates (a TUN device, an
/// rtnetlink socket) belong there, while every other thread of the process stays where it was. File
/// descriptors created there keep working from any thread afterwards.
/// </summary>
public static class NetworkNamespaceThread
{
    /// <summary>Where <c>ip netns</c> keeps named namespaces.</summary>
    public const string NamedNamespaces = "/var/run/netns";

    /// <summary>
    /// Runs <paramref name="body"/> in the namespace <paramref name="name"/> (a name under
    /// <see cref="NamedNamespaces"/>, or an absolute path such as <c>/proc/123/ns/net</c>); null runs it here.
    /// Exceptions from the body are rethrown on the caller's thread.
    /// </summary>
    public static T Run<T>(string? name, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (string.IsNullOrEmpty(name))
        {
            return body();
        }

        string path = name.StartsWith('/') ? name : Path.Combine(NamedNamespaces, name);
        int raw = Interop.Libc.open(path, Interop.Libc.O_RDONLY | Interop.Libc.O_CLOEXEC);
        if (raw < 0)
        {
            int errno = Errno.Last;
            throw new LinuxException(errno == Errno.ENOENT ? $"opening network namespace '{name}' ({path} does not exist; create it with 'ip netns add {name}')" : $"opening network namespace '{name}' ({path})", errno);
        }

        using var ns = new SafeFileDescriptor(raw);
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                if (Interop.Libc.setns(ns, Interop.Libc.CLONE_NEWNET) < 0)
                {
                    throw LinuxException.FromErrno(Errno.Last, $"entering network namespace '{name}' (setns)");
                }

                result = body();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        })
        {
            IsBackground = true,
            Name = $"netns {name}",
        };
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return result;
    }

    /// <summary>Runs <paramref name="body"/> in the namespace <paramref name="name"/>; see <see cref="Run{T}"/>.</summary>
    public static void Run(string? name, Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run<object?>(name, () =>
        {
            body();
            return null;
        });
    }
}
