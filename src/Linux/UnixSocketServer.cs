using System.Net.Sockets;

namespace RouterHost.Linux;

/// <summary>
/// A local Unix stream socket server, as the control socket (<c>routerhost show</c>) and the WireGuard UAPI socket
/// (<c>wg</c>) both are: the socket's folder made (each missing folder with <see cref="UnixSocketServerOptions.FolderMode"/>,
/// whatever the umask) or, when it exists, checked with <see cref="FileTrust"/>; a socket file left by a dead process
/// replaced, one a live process answers on refused; the socket bound, given its mode and listened on; an accept loop
/// on the thread pool that admits clients by their peer credentials (<c>SO_PEERCRED</c>) and by count, and serves
/// each connection on its own task; the socket file removed when disposed. What a connection is served, and what is
/// logged, is the subclass's (<see cref="ServeAsync"/> and the <c>On...</c> hooks).
/// </summary>
public abstract class UnixSocketServer : IDisposable
{
    private readonly UnixSocketServerOptions _options;
    private readonly CancellationTokenSource _stop = new();
    private readonly uint _ownUid;
    private Socket? _listener;
    private int _clients;

    /// <summary>A server for <paramref name="path"/>; nothing happens until <see cref="Listen"/>.</summary>
    protected UnixSocketServer(string path, UnixSocketServerOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        Path = path;
        _options = options;
        _ownUid = OperatingSystem.IsWindows() ? uint.MaxValue : Interop.Libc.geteuid();
    }

    /// <summary>The socket's path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Whether <paramref name="client"/> connected as root (<c>SO_PEERCRED</c>); false when the kernel cannot say.
    /// </summary>
    protected static bool IsRoot(Socket client) => PeerCredentials.TryGetUid(client, out uint uid, out _) && uid == 0;

    /// <summary>
    /// Takes the socket and starts accepting. Throws <see cref="InvalidOperationException"/> when the folder is not
    /// trusted (<see cref="FileTrust"/>'s reason) or a live process answers on the path
    /// (<see cref="UnixSocketServerOptions.InUse"/>); <see cref="SocketException"/>, <see cref="IOException"/> or
    /// <see cref="UnauthorizedAccessException"/> when the system refuses a step.
    /// </summary>
    protected void Listen()
    {
        string? directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            PrepareFolder(directory, _options.FolderMode);
        }

        if (File.Exists(Path))
        {
            if (IsServed(Path))
            {
                throw new InvalidOperationException(_options.InUse);
            }

            File.Delete(Path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(Path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path, _options.SocketMode);
            }

            listener.Listen(_options.Backlog);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        OnListening();
        _ = Task.Run(AcceptLoop);
    }

    /// <summary>
    /// Serves one admitted connection; the socket is disposed afterwards. A <see cref="OperationCanceledException"/>
    /// (the server stopping), <see cref="SocketException"/> or <see cref="ObjectDisposedException"/> ends it through
    /// <see cref="OnClientFailed"/>.
    /// </summary>
    protected abstract Task ServeAsync(Socket client, CancellationToken stop);

    /// <summary>The socket is listened on.</summary>
    protected virtual void OnListening()
    {
    }

    /// <summary>A client was refused by its peer credentials (<see cref="UnixSocketServerOptions.RootAndOwnUserOnly"/>); <paramref name="who"/> says who it was.</summary>
    protected virtual void OnRefused(string who)
    {
    }

    /// <summary>A client was refused because <paramref name="max"/> were connected already.</summary>
    protected virtual void OnTooManyClients(int max)
    {
    }

    /// <summary>A connection ended with an error (<paramref name="reason"/>).</summary>
    protected virtual void OnClientFailed(string reason)
    {
    }

    /// <summary>The socket file could not be removed on dispose (<paramref name="reason"/>); the next server replaces it.</summary>
    protected virtual void OnRemoveFailed(string reason)
    {
    }

    /// <summary>Stops accepting, cancels the connections' token, closes the socket and removes its file.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _stop.Cancel();
        Socket? listener = Interlocked.Exchange(ref _listener, null);
        if (listener is not null)
        {
            listener.Dispose();
            try
            {
                File.Delete(Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                OnRemoveFailed(ex.Message);
            }
        }
    }

    /// <summary>
    /// The socket's folder is what keeps others away from it (the socket is bound before its mode can be set): every
    /// missing folder, from the highest down, is created with <paramref name="mode"/> whatever the umask
    /// (<c>CreateDirectory</c> would give the ones above the last the umask's mode); an existing one must pass
    /// <see cref="FileTrust"/> (root's or ours, writable by nobody else, in trusted folders).
    /// </summary>
    private static void PrepareFolder(string directory, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            var missing = new Stack<string>();
            for (string? d = directory; !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = System.IO.Path.GetDirectoryName(d))
            {
                missing.Push(d);
            }

            while (missing.TryPop(out string? folder))
            {
                Directory.CreateDirectory(folder, mode);

                // mkdir's mode passes through the umask, which may take more than group and others away.
                File.SetUnixFileMode(folder, mode);
            }
        }

        if (!FileTrust.Check(directory, TrustedPathKind.ControlSocketFolder, out string? problem))
        {
            throw new InvalidOperationException(problem);
        }
    }

    private static bool IsServed(string path)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private async Task AcceptLoop()
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested && _listener is { } listener)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (_options.RootAndOwnUserOnly && !MayConnect(client, out string who))
            {
                OnRefused(who);
                client.Dispose();
                continue;
            }

            if (Interlocked.Increment(ref _clients) > _options.MaxClients)
            {
                Interlocked.Decrement(ref _clients);
                OnTooManyClients(_options.MaxClients);
                client.Dispose();
                continue;
            }

            _ = Task.Run(() => Serve(client, stop), CancellationToken.None);
        }
    }

    /// <summary>Root and the server's own user may connect (the socket's mode already keeps others out; this makes sure).</summary>
    private bool MayConnect(Socket client, out string who)
    {
        if (!PeerCredentials.TryGetUid(client, out uint uid, out string? error))
        {
            who = $"a peer whose credentials could not be read ({error})";
            return false;
        }

        who = $"uid {uid}";
        return uid == 0 || uid == _ownUid;
    }

    private async Task Serve(Socket client, CancellationToken stop)
    {
        try
        {
            using (client)
            {
                await ServeAsync(client, stop).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            OnClientFailed(ex.Message);
        }
        finally
        {
            Interlocked.Decrement(ref _clients);
        }
    }
}
