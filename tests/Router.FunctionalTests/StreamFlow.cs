using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace RouterHost.FunctionalTests;

/// <summary>
/// One TCP connection from namespace A to a listener in namespace B that streams pseudo-random bytes until
/// told to stop, hashing both ends, so a test can watch it progress (or stall) while it changes the router.
/// </summary>
internal sealed class StreamFlow : IDisposable
{
    private readonly Socket _listener;
    private readonly Socket _client;
    private readonly Task _receiver;
    private readonly Task _sender;
    private readonly CancellationTokenSource _stop = new();
    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _received;
    private long _sent;

    public StreamFlow(NetworkNamespace from, NetworkNamespace to, IPAddress server, int port, int seed)
    {
        _listener = to.Run(() =>
        {
            var s = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(server, port));
            s.Listen(1);
            return s;
        });
        _client = from.Run(() => new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        _client.Connect(new IPEndPoint(server, port));
        Socket accepted = _listener.Accept();
        _receiver = Task.Factory.StartNew(() => Receive(accepted), TaskCreationOptions.LongRunning);
        _sender = Task.Factory.StartNew(() => Send(seed), TaskCreationOptions.LongRunning);
    }

    public long Received => Interlocked.Read(ref _received);

    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Why sending stopped, if it failed (a reset, a timeout).</summary>
    public Exception? SendError { get; private set; }

    /// <summary>Waits until at least <paramref name="bytes"/> more bytes arrived than now; false on timeout.</summary>
    public bool WaitForProgress(long bytes, TimeSpan timeout)
    {
        long target = Received + bytes;
        DateTime deadline = DateTime.UtcNow + timeout;
        while (Received < target)
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    /// <summary>Stops sending, closes cleanly and returns the hashes of what was sent and what arrived.</summary>
    public (byte[] Sent, byte[] Received) Finish(TimeSpan timeout)
    {
        _stop.Cancel();
        Assert.True(_sender.Wait(timeout), "the sender did not stop");
        Assert.Null(SendError);
        _client.Shutdown(SocketShutdown.Send);
        Assert.True(_receiver.Wait(timeout), "the receiver did not see the end of the stream");
        return (_sentHash.GetHashAndReset(), _receivedHash.GetHashAndReset());
    }

    public void Dispose()
    {
        _stop.Cancel();
        _client.Dispose();
        _listener.Dispose();
        try
        {
            Task.WaitAll([_sender, _receiver], TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();
        _sentHash.Dispose();
        _receivedHash.Dispose();
    }

    private void Send(int seed)
    {
        var random = new Random(seed);
        var chunk = new byte[16 * 1024];
        _client.SendTimeout = 5_000;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                random.NextBytes(chunk);
                int n = _client.Send(chunk);
                _sentHash.AppendData(chunk, 0, n);
                Interlocked.Add(ref _sent, n);
                if (n < chunk.Length)
                {
                    throw new IOException($"short send of {n} bytes");
                }

                // Pace the stream a little so a 2-core machine keeps up with everything else the test does.
                Thread.Sleep(1);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            SendError = ex;
        }
    }

    private void Receive(Socket accepted)
    {
        using (accepted)
        {
            accepted.ReceiveTimeout = 60_000;
            var buffer = new byte[64 * 1024];
            try
            {
                int n;
                while ((n = accepted.Receive(buffer)) > 0)
                {
                    _receivedHash.AppendData(buffer, 0, n);
                    Interlocked.Add(ref _received, n);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
