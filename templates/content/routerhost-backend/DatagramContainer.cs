using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;

namespace RouterHostBackend1;

/// <summary>
/// One interface: a UDP socket bound to <c>Listen</c> and connected to <c>Peer</c>, served as one queue. Its status
/// (<c>routerhost show</c>) gives the address it listens on, with the port the kernel picked for <c>:0</c>.
/// </summary>
/// <remarks>
/// Threading: the host creates it on the control plane, then serves <see cref="Queues"/> from runner threads;
/// <see cref="Close"/> may come from any thread and wakes the reader; <see cref="Dispose"/> comes last, after every
/// runner thread has stopped.
/// </remarks>
internal sealed class DatagramContainer : IContainer, IStatusReporter
{
    private readonly Socket _socket;
    private readonly DatagramQueue[] _queues;

    /// <summary>Binds and connects the socket; throws naming the setting and the address when the kernel refuses.</summary>
    public DatagramContainer(string name, string path, BackendSettings settings, int batchSize)
    {
        Name = name;
        _socket = new Socket(settings.Listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(settings.Listen);
            _socket.Connect(settings.Peer);
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw new InvalidOperationException(
                $"{path}: cannot bind {settings.Listen} and connect to {settings.Peer}: {e.Message} ({e.SocketErrorCode}); choose a free Listen port or a reachable Peer", e);
        }

        Listen = (IPEndPoint)_socket.LocalEndPoint!;
        Peer = settings.Peer;
        _queues = [new DatagramQueue(_socket, settings.Mtu, batchSize)];
    }

    /// <summary>The interface name (its key under <c>Interfaces</c>).</summary>
    public string Name { get; }

    /// <summary>The address and port the socket is bound to.</summary>
    public IPEndPoint Listen { get; }

    /// <summary>The peer's address and port.</summary>
    public IPEndPoint Peer { get; }

    /// <summary>The interface's one queue.</summary>
    public IReadOnlyList<IQueue> Queues => _queues;

    /// <summary>Writes <c>{ "listen": "127.0.0.1:40001", "peer": "127.0.0.1:40000" }</c> (control plane).</summary>
    public void WriteStatus(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("listen", Listen.ToString());
        writer.WriteString("peer", Peer.ToString());
        writer.WriteEndObject();
    }

    /// <summary>Wakes and ends the queue's reader (any thread; idempotent).</summary>
    public void Close()
    {
        foreach (DatagramQueue queue in _queues)
        {
            queue.Close();
        }
    }

    /// <summary>Closes the socket, after the host stopped every thread that used it.</summary>
    public void Dispose()
    {
        foreach (DatagramQueue queue in _queues)
        {
            queue.Dispose();
        }

        _socket.Dispose();
    }
}
