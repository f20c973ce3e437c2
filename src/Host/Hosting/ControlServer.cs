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
/// (this router then runs without a control socket, saying so). The socket itself is <see cref="UnixSocketServer"/>'s.
/// </summary>
internal sealed partial class ControlServer : UnixSocketServer
{
    private static readonly UnixSocketServerOptions SocketOptions = new()
    {
        FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
        SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        Backlog = 16,
        InUse = "another running router answers on it",
    };

    private readonly Router _router;
    private readonly PipelineRunner _runner;
    private readonly ILogger _logger;
    private readonly DateTime _started = DateTime.UtcNow;

    private ControlServer(string path, Router router, PipelineRunner runner, ILogger logger)
        : base(path, SocketOptions)
    {
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

    /// <inheritdoc />
    protected override void OnListening() => Log.Listening(_logger, Path);

    /// <inheritdoc />
    protected override void OnClientFailed(string reason) => Log.ClientFailed(_logger, reason);

    /// <inheritdoc />
    protected override void OnRemoveFailed(string reason) => Log.RemoveFailed(_logger, Path, reason);

    /// <inheritdoc />
    protected override async Task ServeAsync(Socket client, CancellationToken stop)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        string command = await ReadLine(client, timeout.Token).ConfigureAwait(false);
        byte[] answer = command switch
        {
            "show" => StatusDocument.Create(_router, _runner, _started),

            // Only root sees the keys, as with wg showconf.
            _ when command == "showconf" || command.StartsWith("showconf ", StringComparison.Ordinal) => ShowconfDocument.Create(_router, command.Length > 8 ? command[9..].Trim() : null, IsRoot(client)),
            _ => Encoding.UTF8.GetBytes($"{{\"error\":\"unknown command '{command.Replace("\"", "'", StringComparison.Ordinal)}'; known: show, showconf [STAGE]\"}}"),
        };
        await client.SendAsync(answer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
        client.Shutdown(SocketShutdown.Both);
    }

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
