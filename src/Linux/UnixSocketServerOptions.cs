namespace RouterHost.Linux;

/// <summary>What a <see cref="UnixSocketServer"/> makes of its socket, and whom it admits.</summary>
public sealed record UnixSocketServerOptions
{
    /// <summary>The mode of every folder created on the way to the socket (an existing one is checked, never changed).</summary>
    public required UnixFileMode FolderMode { get; init; }

    /// <summary>The socket file's mode, set right after bind.</summary>
    public required UnixFileMode SocketMode { get; init; }

    /// <summary>The <c>listen</c> backlog.</summary>
    public int Backlog { get; init; } = 16;

    /// <summary>The refusal's text when another live process answers on the socket's path (say what to do about it).</summary>
    public required string InUse { get; init; }

    /// <summary>Only root and the server's own effective user may connect (<c>SO_PEERCRED</c>); others are closed at once.</summary>
    public bool RootAndOwnUserOnly { get; init; }

    /// <summary>Connections served at once; more are closed at once.</summary>
    public int MaxClients { get; init; } = int.MaxValue;
}
