using System.Net;
using System.Net.Sockets;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// A UDP relay that impairs the path between a client and a server, netem's job on a kernel without it: datagrams
/// from the client (to <see cref="ImpairmentRelayOptions.Listen"/>) go to the server from a second socket, datagrams
/// from the server go back to the client that sent last. Each way has its own <see cref="Impairment"/> (loss,
/// corruption, duplication, delay with the reordering it causes), its own seeded generator, its own thread and its
/// own counts (<see cref="TowardServer"/>, <see cref="TowardClient"/>).
/// <para>
/// Both sockets are made inside the namespace given to <see cref="Start"/> (or the test's own, on loopback), so the
/// relay reaches only what is there. Per datagram nothing is allocated: each way receives into one buffer and holds
/// delayed datagrams in a fixed arena of <see cref="ImpairmentRelayOptions.HoldCapacity"/> slots.
/// <see cref="Stop"/> (and <see cref="Dispose"/>) sends what is still held, ends both threads and closes the sockets.
/// </para>
/// </summary>
public sealed partial class ImpairmentRelay : IDisposable
{
    /// <summary>Each relay socket's receive and send buffer, in bytes (the kernel books twice this).</summary>
    public const int BufferBytes = 4 << 20;

    // <sys/socket.h>, <asm-generic/socket.h>
    internal const int SOL_SOCKET = 1;
    internal const int SO_SNDBUFFORCE = 32;
    internal const int SO_RCVBUFFORCE = 33;

    private readonly Socket _clientFacing;
    private readonly Socket _serverFacing;
    private readonly Direction _towardServer;
    private readonly Direction _towardClient;
    private SocketAddress? _client;
    private volatile bool _stopping;
    private int _stopped;

    private ImpairmentRelay(Socket clientFacing, Socket serverFacing, ImpairmentRelayOptions options)
    {
        _clientFacing = clientFacing;
        _serverFacing = serverFacing;
        Listen = (IPEndPoint)clientFacing.LocalEndPoint!;
        ServerFacing = (IPEndPoint)serverFacing.LocalEndPoint!;
        _towardServer = new Direction(this, "relay to server", clientFacing, serverFacing, options.TowardServer, options, options.Seed * 2);
        _towardClient = new Direction(this, "relay to client", serverFacing, clientFacing, options.TowardClient, options, (options.Seed * 2) + 1);
    }

    /// <summary>Where clients send (the port the kernel chose when the options said 0).</summary>
    public IPEndPoint Listen { get; }

    /// <summary>The address the server sees the relay's datagrams come from.</summary>
    public IPEndPoint ServerFacing { get; }

    /// <summary>What was done so far to datagrams from the client.</summary>
    public RelayCounts TowardServer => _towardServer.Snapshot();

    /// <summary>What was done so far to datagrams from the server.</summary>
    public RelayCounts TowardClient => _towardClient.Snapshot();

    /// <summary>Where datagrams from the server go: the client that sent last, or null before any did.</summary>
    public IPEndPoint? Client => Volatile.Read(ref _client) is { } client ? (IPEndPoint)Listen.Create(client) : null;

    /// <summary>
    /// Opens both sockets (inside <paramref name="ns"/> when given) and starts both ways. Throws
    /// <see cref="ArgumentException"/> for an impairment out of range, <see cref="SocketException"/> when a socket
    /// cannot be bound.
    /// </summary>
    public static ImpairmentRelay Start(NetworkNamespace? ns, ImpairmentRelayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.TowardServer.Validate(nameof(options.TowardServer));
        options.TowardClient.Validate(nameof(options.TowardClient));
        ArgumentOutOfRangeException.ThrowIfNegative(options.CorruptFrom);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.HoldCapacity);
        IPEndPoint serverFacing = options.ServerFacing ?? new IPEndPoint(options.Listen.Address, 0);
        (Socket, Socket) Open()
        {
            Socket client = Bind(options.Listen);
            try
            {
                return (client, Bind(serverFacing));
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        (Socket clientSocket, Socket serverSocket) = ns is null ? Open() : ns.Run(Open);
        var relay = new ImpairmentRelay(clientSocket, serverSocket, options);
        relay._towardServer.Start();
        relay._towardClient.Start();
        return relay;
    }

    /// <summary>
    /// Sends what each way still holds, ends both threads and closes the sockets; the counts stay readable and final.
    /// Rethrows what ended a way's thread, if anything did. Safe to call more than once.
    /// </summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        _stopping = true;
        _towardServer.Join();
        _towardClient.Join();
        _clientFacing.Dispose();
        _serverFacing.Dispose();
        (_towardServer.Fault ?? _towardClient.Fault)?.Throw();
    }

    /// <summary>Stops the relay (see <see cref="Stop"/>) without rethrowing.</summary>
    public void Dispose()
    {
        try
        {
            Stop();
        }
        catch (Exception)
        {
            // Whatever ended a way's thread: Stop reports it; Dispose runs in finally blocks, where it would hide the test's own failure.
        }
    }

    /// <summary>A plain .NET socket, not src/Underlay's: the relay judges RouterHost's underlay, so it shares no code with it.</summary>
    private static Socket Bind(IPEndPoint at)
    {
        var socket = new Socket(at.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Room for bursts (a GSO send arrives as many datagrams at once), so the relay's own socket rarely loses.
            SetBuffer(socket, SO_RCVBUFFORCE, SocketOptionName.ReceiveBuffer);
            SetBuffer(socket, SO_SNDBUFFORCE, SocketOptionName.SendBuffer);
            socket.Bind(at);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sets a socket buffer to <see cref="BufferBytes"/>: with the FORCE option when allowed (root), so
    /// <c>net.core.rmem_max</c>/<c>wmem_max</c> do not cap it, else with the plain one (capped).
    /// </summary>
    internal static void SetBuffer(Socket socket, int forceOption, SocketOptionName plainOption)
    {
        Span<byte> value = stackalloc byte[sizeof(int)];
        BitConverter.TryWriteBytes(value, BufferBytes);
        try
        {
            socket.SetRawSocketOption(SOL_SOCKET, forceOption, value);
        }
        catch (SocketException)
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, plainOption, BufferBytes);
        }
    }

    /// <summary>Publishes a new client address (only when it changed: the one allocation, off the per-datagram path).</summary>
    private void Remember(SocketAddress from)
    {
        SocketAddress? known = Volatile.Read(ref _client);
        if (known is null || !known.Equals(from))
        {
            var copy = new SocketAddress(from.Family, from.Size);
            from.Buffer.Span[..from.Size].CopyTo(copy.Buffer.Span);
            Volatile.Write(ref _client, copy);
        }
    }

    private bool Stopping => _stopping;
}
