using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using RouterHost.Linux;
using RouterHost.Pipeline;

namespace RouterHost.Hosting;

/// <summary>
/// The local control socket (a Unix stream socket, mode 0600, root's, in a folder only root can enter: created 0700, or
/// an existing one that passes <see cref="FileTrust"/>) that <c>routerhost show</c> reads the running router from. One request per connection: a line naming the command (<c>show</c>), answered with the
/// status document (<see cref="StatusDocument"/>) and closed. Runs on the thread pool, never on the data path.
/// A socket file left by a crashed router is replaced; one another running router answers on is left alone
/// (this router then runs without a control socket, saying so).
/// </summary>
internal sealed partial class ControlServer : IDisposable
{
    private readonly string _path;
    private readonly Router _router;
    private readonly PipelineRunner _runner;
    private readonly ILogger _logger;
    private readonly DateTime _started = DateTime.UtcNow;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;

    private ControlServer(string path, Router router, PipelineRunner runner, ILogger logger)
    {
        _path = path;
        _router = router;
        _runner = runner;
        _logger = logger;
    }

    /// <summary>Starts serving on <paramref name="path"/>; null (logged) when the socket cannot be had.</summary>
    public static ControlServer? TryStart(string path, Router router, PipelineRunner runner, ILogger logger)
    {
        var server = new ControlServer(path, router, runner, logger);
        try
        {
            server.Listen();
            return server;
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Log.Unavailable(logger, path, ex.Message);
            server.Dispose();
            return null;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        Socket? listener = Interlocked.Exchange(ref _listener, null);
        if (listener is not null)
        {
            listener.Dispose();
            try
            {
                File.Delete(_path);
            }
            catch (IOException ex)
            {
                // A stale socket file is replaced by the next router that starts; this one only says so.
                Log.RemoveFailed(_logger, _path, ex.Message);
            }
        }

        _stop.Dispose();
    }

    private void Listen()
    {
        string? directory = Path.GetDirectoryName(_path);
        if (!string.IsNullOrEmpty(directory))
        {
            PrepareFolder(directory);
        }

        if (File.Exists(_path))
        {
            if (IsServed(_path))
            {
                throw new InvalidOperationException("another running router answers on it");
            }

            File.Delete(_path);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(_path));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(_path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            listener.Listen(16);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        Log.Listening(_logger, _path);
        _ = Task.Run(AcceptLoop);
    }

    /// <summary>
    /// The socket's folder is what keeps others away from it (the socket is bound before its mode can be set): a
    /// missing one (and any missing above it) is created 0700 whatever the umask; an existing one must pass
    /// <see cref="FileTrust"/> (root's or ours, writable by nobody else, in trusted folders).
    /// </summary>
    private static void PrepareFolder(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            // Every folder made here, from the highest missing one down (CreateDirectory would make the ones above
            // the last with the umask's mode).
            var missing = new Stack<string>();
            for (string? d = directory; !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = Path.GetDirectoryName(d))
            {
                missing.Push(d);
            }

            const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            while (missing.TryPop(out string? folder))
            {
                Directory.CreateDirectory(folder, OwnerOnly);

                // mkdir's mode passes through the umask, which may take more than group and others away.
                File.SetUnixFileMode(folder, OwnerOnly);
            }
        }

        if (!FileTrust.Check(directory, TrustedPathKind.ControlSocketFolder, out string? problem))
        {
            throw new InvalidOperationException(problem);
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

            _ = Task.Run(() => Serve(client, stop), stop);
        }
    }

    private async Task Serve(Socket client, CancellationToken stop)
    {
        using (client)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                string command = await ReadLine(client, timeout.Token).ConfigureAwait(false);
                byte[] answer = command switch
                {
                    "show" => StatusDocument.Create(_router, _runner, _started),
                    _ when command == "showconf" || command.StartsWith("showconf ", StringComparison.Ordinal) => ShowconfDocument.Create(_router, command.Length > 8 ? command[9..].Trim() : null, IsRoot(client)),
                    _ => Encoding.UTF8.GetBytes($"{{\"error\":\"unknown command '{command.Replace("\"", "'", StringComparison.Ordinal)}'; known: show, showconf [STAGE]\"}}"),
                };
                await client.SendAsync(answer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                Log.ClientFailed(_logger, ex.Message);
            }
        }
    }

    /// <summary>Whether the client connected as root (SO_PEERCRED): only root sees the keys, as with <c>wg showconf</c>.</summary>
    private static bool IsRoot(Socket client) => Linux.PeerCredentials.TryGetUid(client, out uint uid, out _) && uid == 0;

    private static async Task<string> ReadLine(Socket client, CancellationToken cancellation)
    {
        var buffer = new byte[256];
        int length = 0;
        while (length < buffer.Length)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellation).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            length += n;
            int newline = Array.IndexOf(buffer, (byte)'\n', 0, length);
            if (newline >= 0)
            {
                length = newline;
                break;
            }
        }

        return Encoding.UTF8.GetString(buffer, 0, length).Trim();
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

    private static partial class Log
    {
        [LoggerMessage(EventId = 60, Level = LogLevel.Information, Message = "Control socket: {Path} ('routerhost show' reads the running router here)")]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(EventId = 61, Level = LogLevel.Warning, Message = "No control socket at {Path}: {Reason}; 'routerhost show' cannot reach this router (set Control:Socket to another path)")]
        public static partial void Unavailable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "Control socket {Path} could not be removed: {Reason}")]
        public static partial void RemoveFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 63, Level = LogLevel.Debug, Message = "A control client failed: {Reason}")]
        public static partial void ClientFailed(ILogger logger, string reason);
    }
}
