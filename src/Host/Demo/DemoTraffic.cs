using System.Net;
using System.Net.Sockets;
using RouterHost.Linux.Namespaces;

namespace RouterHost.Demo;

/// <summary>
/// A TCP stream through the tunnel for the throughput check: a listener in one namespace, a sender in the other, both
/// created on threads that entered the namespace (so the sockets belong to it), counting the bytes that arrive.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class DemoTraffic : IDisposable
{
    private readonly Socket _listener;
    private readonly Socket _client;
    private readonly Thread _sender;
    private readonly Thread _receiver;
    private volatile bool _stop;
    private long _received;

    public DemoTraffic(NetworkNamespace fromNamespace, NetworkNamespace toNamespace, IPAddress server, int port)
    {
        _listener = toNamespace.Run(() =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(server, port));
            s.Listen(1);
            return s;
        });
        _client = fromNamespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        _client.Connect(new IPEndPoint(server, port));
        Socket accepted = _listener.Accept();
        _receiver = new Thread(() => Receive(accepted)) { IsBackground = true, Name = "demo receive" };
        _sender = new Thread(Send) { IsBackground = true, Name = "demo send" };
        _receiver.Start();
        _sender.Start();
    }

    public long Received => Interlocked.Read(ref _received);

    public Exception? Error { get; private set; }

    public void Dispose()
    {
        _stop = true;
        _client.Dispose();
        _listener.Dispose();
        _sender.Join(TimeSpan.FromSeconds(5));
        _receiver.Join(TimeSpan.FromSeconds(5));
    }

    private void Send()
    {
        var chunk = new byte[256 * 1024];
        Random.Shared.NextBytes(chunk);
        try
        {
            while (!_stop)
            {
                _client.Send(chunk);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            if (!_stop)
            {
                Error = ex;
            }
        }
    }

    private void Receive(Socket accepted)
    {
        using (accepted)
        {
            var buffer = new byte[256 * 1024];
            try
            {
                int n;
                while ((n = accepted.Receive(buffer)) > 0)
                {
                    Interlocked.Add(ref _received, n);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                if (!_stop)
                {
                    Error = ex;
                }
            }
        }
    }
}
