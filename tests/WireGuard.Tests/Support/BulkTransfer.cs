using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// A TCP transfer of a fixed number of pseudo-random bytes from a socket in one namespace to a listener in another,
/// hashed on both ends (SHA-256), so a test can prove every byte arrived in order. Runs on its own threads; several
/// may run at once (both directions of a tunnel).
/// </summary>
internal sealed class BulkTransfer : IDisposable
{
    private readonly Socket _listener;
    private readonly Thread _sender;
    private readonly Thread _receiver;
    private readonly long _bytes;
    private readonly int _seed;
    private readonly IPEndPoint _server;
    private readonly NetworkNamespace _from;
    private byte[]? _sentHash;
    private byte[]? _receivedHash;
    private long _sent;
    private long _received;
    private Exception? _error;

    private BulkTransfer(NetworkNamespace from, NetworkNamespace to, IPEndPoint server, long bytes, int seed)
    {
        _from = from;
        _server = server;
        _bytes = bytes;
        _seed = seed;
        _listener = to.Run(() =>
        {
            var s = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(server);
            s.Listen(1);
            return s;
        });
        _receiver = new Thread(Receive) { IsBackground = true, Name = "bulk receive" };
        _sender = new Thread(Send) { IsBackground = true, Name = "bulk send" };
    }

    public long Sent => Interlocked.Read(ref _sent);

    public long Received => Interlocked.Read(ref _received);

    public static BulkTransfer Start(NetworkNamespace from, NetworkNamespace to, IPAddress server, int port, long bytes, int seed)
    {
        var transfer = new BulkTransfer(from, to, new IPEndPoint(server, port), bytes, seed);
        transfer._receiver.Start();
        transfer._sender.Start();
        return transfer;
    }

    /// <summary>Waits for the end; asserts the whole stream arrived byte-exact.</summary>
    public void AssertCompletes(TimeSpan timeout, Func<string> context)
    {
        bool done = _sender.Join(timeout) && _receiver.Join(timeout);
        Assert.True(done, $"transfer did not finish in {timeout}: sent {Sent} of {_bytes}, received {Received}\n{context()}");
        Assert.True(_error is null, $"transfer failed: {_error}\n{context()}");
        Assert.Equal(_bytes, Received);
        Assert.Equal(Convert.ToHexString(_sentHash!), Convert.ToHexString(_receivedHash!));
    }

    /// <summary>Waits until at least <paramref name="bytes"/> arrived.</summary>
    public bool WaitForReceived(long bytes, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (Received < bytes)
        {
            if (DateTime.UtcNow > deadline || _error is not null)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    public void Dispose()
    {
        _listener.Dispose();
    }

    private void Send()
    {
        try
        {
            using Socket client = _from.Run(() => new Socket(_server.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
            client.SendTimeout = 120_000;
            Connect(client);
            var random = new Random(_seed);
            var chunk = new byte[256 * 1024];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long left = _bytes;
            while (left > 0)
            {
                int n = (int)Math.Min(chunk.Length, left);
                random.NextBytes(chunk.AsSpan(0, n));
                client.Send(chunk.AsSpan(0, n));
                hash.AppendData(chunk, 0, n);
                left -= n;
                Interlocked.Add(ref _sent, n);
            }

            _sentHash = hash.GetHashAndReset();
            client.Shutdown(SocketShutdown.Send);
            var rest = new byte[16];
            while (client.Receive(rest) > 0)
            {
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            _error ??= ex;
        }
    }

    private void Connect(Socket client)
    {
        // The first SYN may wait for the handshake (staged), or be lost while a peer restarts: retry for a while.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                client.Connect(_server);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    private void Receive()
    {
        try
        {
            using Socket accepted = _listener.Accept();
            accepted.ReceiveTimeout = 120_000;
            var buffer = new byte[256 * 1024];
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            int n;
            while ((n = accepted.Receive(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, n);
                Interlocked.Add(ref _received, n);
            }

            _receivedHash = hash.GetHashAndReset();
            accepted.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            _error ??= ex;
        }
    }
}
