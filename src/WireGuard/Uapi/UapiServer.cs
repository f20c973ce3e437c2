using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using RouterHost.Linux;

namespace RouterHost.WireGuard.Uapi;

/// <summary>Limits of a <see cref="UapiServer"/> (tests shorten the timeouts).</summary>
internal sealed record UapiServerOptions
{
    /// <summary>How long a connection may sit without starting a request.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one request may take to arrive (a client trickling bytes is cut off after it), and a reply to leave.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections served at once; more are closed at once.</summary>
    public int MaxClients { get; init; } = 32;

    /// <summary>The cap on one <c>set</c> body.</summary>
    public int MaxRequestBytes { get; init; } = UapiSession.DefaultMaxRequestBytes;
}

/// <summary>
/// The WireGuard UAPI socket: a Unix stream socket at <c>/var/run/wireguard/NAME.sock</c> (the folder made 0755 as
/// wireguard-go makes it, and checked with <see cref="FileTrust"/>; the socket 0700, as wireguard-go's umask leaves it)
/// that <c>wg</c> and other WireGuard tools read and configure a device through. Only root and the router's own user
/// may talk to it (SO_PEERCRED). A socket another live process answers on is never replaced; a stale one is. Runs on
/// the thread pool, never on the data path; requests to the device are serialised; slow or oversized clients are cut
/// off (<see cref="UapiServerOptions"/>). The socket itself is <see cref="UnixSocketServer"/>'s.
/// </summary>
internal sealed partial class UapiServer : UnixSocketServer
{
    /// <summary>Where wireguard-go and <c>wg</c> keep the sockets.</summary>
    public const string SocketDirectory = "/var/run/wireguard";

    private readonly IUapiDevice _device;
    private readonly ILogger _logger;
    private readonly UapiServerOptions _options;
    private readonly Lock _deviceLock = new();
    private bool _disposed;

    private UapiServer(string path, IUapiDevice device, ILogger logger, UapiServerOptions options)
        : base(path, SocketOptions(options))
    {
        _device = device;
        _logger = logger;
        _options = options;
    }

    /// <summary>Connections refused (other users, or over <see cref="UapiServerOptions.MaxClients"/>).</summary>
    public long Refused;

    /// <summary>The socket path for interface <paramref name="name"/>.</summary>
    public static string PathFor(string name) => $"{SocketDirectory}/{name}.sock";

    /// <summary>
    /// Whether <paramref name="name"/> can name a UAPI socket as <c>wg</c> finds it (an interface name: 1..15 of
    /// A-Z a-z 0-9 . _ -, not "." or "..").
    /// </summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 15 && name is not "." and not ".." && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Serves <paramref name="device"/> on <paramref name="path"/>; throws (with the reason) when the socket cannot be had.</summary>
    public static UapiServer Start(string path, IUapiDevice device, ILogger logger, UapiServerOptions? options = null)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new InvalidOperationException("the WireGuard UAPI socket is served on Linux only");
        }

        var server = new UapiServer(path, device, logger, options ?? new UapiServerOptions());
        try
        {
            server.Listen();
            return server;
        }
        catch (Exception ex) when (ex is InvalidOperationException or SocketException)
        {
            server.Dispose();
            throw new InvalidOperationException($"UAPI socket {path}: {ex.Message}", ex);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_deviceLock)
            {
                // No request reaches the device once this returns.
                _disposed = true;
            }
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    protected override void OnListening() => Log.Listening(_logger, Path);

    /// <inheritdoc />
    protected override void OnRefused(string who)
    {
        Interlocked.Increment(ref Refused);
        Log.Refused(_logger, Path, who);
    }

    /// <inheritdoc />
    protected override void OnTooManyClients(int max)
    {
        Interlocked.Increment(ref Refused);
        Log.TooMany(_logger, Path, max);
    }

    /// <inheritdoc />
    protected override void OnClientFailed(string reason) => Log.ClientFailed(_logger, Path, reason);

    /// <inheritdoc />
    protected override void OnRemoveFailed(string reason) => Log.RemoveFailed(_logger, Path, reason);

    /// <summary>The folder 0755 and the socket 0700, as wireguard-go leaves them; only root and the router's own user.</summary>
    private static UnixSocketServerOptions SocketOptions(UapiServerOptions options) => new()
    {
        FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute,
        SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
        Backlog = 64,
        InUse = "another running process (wireguard-go, or another router) answers on it; stop it, or name this one otherwise (UapiName)",
        RootAndOwnUserOnly = true,
        MaxClients = options.MaxClients,
    };

    /// <inheritdoc />
    protected override async Task ServeAsync(Socket client, CancellationToken stop)
    {
        var session = new UapiSession(new SerialisedDevice(this), error => Log.RequestFailed(_logger, Path, error.Errno, error.Message ?? string.Empty), _options.MaxRequestBytes);
        byte[] buffer = new byte[4096];
        long requestStarted = 0;
        while (!session.Closed)
        {
            TimeSpan wait = session.InRequest
                ? _options.RequestTimeout - TimeSpan.FromMilliseconds(Environment.TickCount64 - requestStarted)
                : _options.IdleTimeout;
            if (wait <= TimeSpan.Zero)
            {
                Log.SlowClient(_logger, Path);
                return;
            }

            int n;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
            {
                timeout.CancelAfter(wait);
                try
                {
                    n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                {
                    if (session.InRequest)
                    {
                        Log.SlowClient(_logger, Path);
                    }

                    return;
                }
            }

            bool wasInRequest = session.InRequest;
            if (n == 0)
            {
                session.EndOfInput();
            }
            else
            {
                session.Receive(buffer.AsSpan(0, n));
            }

            if (!wasInRequest && session.InRequest)
            {
                requestStarted = Environment.TickCount64;
            }

            byte[] output = session.TakeOutput();
            if (output.Length > 0)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(_options.RequestTimeout);
                await SendAll(client, output, timeout.Token).ConfigureAwait(false);
                if (!session.InRequest)
                {
                    // The next request starts its own clock.
                    requestStarted = Environment.TickCount64;
                }
            }
        }

        await LingeringClose(client, buffer, stop).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes after a final reply without losing it: a client still writing (a request cut off by a cap) would get the
    /// connection reset, and with it its unread reply, if the socket closed with its bytes unread. So our side is shut,
    /// and what still comes is read and dropped for a moment (bounded in time and bytes) before the socket closes.
    /// </summary>
    private async Task LingeringClose(Socket client, byte[] buffer, CancellationToken stop)
    {
        client.Shutdown(SocketShutdown.Send);
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(stop);
        linger.CancelAfter(TimeSpan.FromSeconds(1));
        long drained = 0;
        try
        {
            int n;
            while (drained < _options.MaxRequestBytes && (n = await client.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false)) > 0)
            {
                drained += n;
            }
        }
        catch (OperationCanceledException) when (!stop.IsCancellationRequested)
        {
            // The client kept writing past the moment: it is closed now.
        }
    }

    private static async Task SendAll(Socket client, byte[] data, CancellationToken cancellation)
    {
        int sent = 0;
        while (sent < data.Length)
        {
            sent += await client.SendAsync(data.AsMemory(sent), SocketFlags.None, cancellation).ConfigureAwait(false);
        }
    }

    /// <summary>The device, one request at a time, and none after the server is disposed.</summary>
    private sealed class SerialisedDevice(UapiServer server) : IUapiDevice
    {
        public UapiDeviceSnapshot Snapshot()
        {
            lock (server._deviceLock)
            {
                ObjectDisposedException.ThrowIf(server._disposed, server);
                return server._device.Snapshot();
            }
        }

        public UapiResult Apply(UapiSetRequest request)
        {
            lock (server._deviceLock)
            {
                if (server._disposed)
                {
                    return new UapiResult(UapiErrno.Unknown, "the device is shutting down");
                }

                return server._device.Apply(request);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 540, Level = LogLevel.Information, Message = "WireGuard UAPI: {Path} (wg show / wg set talk to this router here)")]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(EventId = 541, Level = LogLevel.Warning, Message = "WireGuard UAPI {Path}: refused a connection from {Who}: only root and the router's own user may connect")]
        public static partial void Refused(ILogger logger, string path, string who);

        [LoggerMessage(EventId = 542, Level = LogLevel.Warning, Message = "WireGuard UAPI {Path}: refused a connection: {Max} clients are connected already")]
        public static partial void TooMany(ILogger logger, string path, int max);

        [LoggerMessage(EventId = 543, Level = LogLevel.Warning, Message = "WireGuard UAPI {Path}: request answered errno={Errno}: {Reason}")]
        public static partial void RequestFailed(ILogger logger, string path, int errno, string reason);

        [LoggerMessage(EventId = 544, Level = LogLevel.Debug, Message = "WireGuard UAPI {Path}: a client sent its request too slowly; closed")]
        public static partial void SlowClient(ILogger logger, string path);

        [LoggerMessage(EventId = 545, Level = LogLevel.Debug, Message = "WireGuard UAPI {Path}: a client failed: {Reason}")]
        public static partial void ClientFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 546, Level = LogLevel.Warning, Message = "WireGuard UAPI socket {Path} could not be removed: {Reason}")]
        public static partial void RemoveFailed(ILogger logger, string path, string reason);
    }
}
