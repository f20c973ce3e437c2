using System.Net.Sockets;
using System.Text;

namespace RouterHost.Hosting;

/// <summary>
/// Tells systemd about the service's state (sd_notify protocol): one datagram per message to the Unix socket
/// named by <c>$NOTIFY_SOCKET</c> (a leading '@' means the abstract namespace). Does nothing when the
/// variable is unset, so a <c>Type=notify</c> unit works and plain runs are unaffected.
/// </summary>
internal sealed class SystemdNotifier
{
    public const string EnvironmentVariable = "NOTIFY_SOCKET";

    private readonly string? _socketPath;

    public SystemdNotifier()
        : this(Environment.GetEnvironmentVariable(EnvironmentVariable))
    {
    }

    public SystemdNotifier(string? socketPath) => _socketPath = string.IsNullOrEmpty(socketPath) ? null : socketPath;

    public bool IsEnabled => _socketPath is not null;

    /// <summary>Sends <paramref name="state"/> (e.g. <c>READY=1</c>); returns the error, if any, instead of throwing.</summary>
    public string? Notify(string state)
    {
        if (_socketPath is null)
        {
            return null;
        }

        string path = _socketPath[0] == '@' ? "\0" + _socketPath[1..] : _socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            socket.Send(Encoding.UTF8.GetBytes(state));
            return null;
        }
        catch (SocketException ex)
        {
            return $"could not notify {_socketPath}: {ex.SocketErrorCode} ({ex.Message})";
        }
    }
}
