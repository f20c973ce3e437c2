using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.WireGuard.Tests.Uapi;

/// <summary>
/// The UAPI socket server on a real Unix socket (in a folder of the test's own, not /var/run/wireguard): socket and
/// folder modes, stale and live sockets, who may connect, and clients that are slow, silent, oversized or many.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class UapiServerTests : IDisposable
{
    private static readonly UapiServerOptions Short = new() { IdleTimeout = TimeSpan.FromMilliseconds(300), RequestTimeout = TimeSpan.FromMilliseconds(600), MaxRequestBytes = 64 << 10 };

    private readonly string _folder;

    public UapiServerTests()
    {
        _folder = Path.Combine("/tmp", "rh-uapi-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4)));
        Directory.CreateDirectory(_folder);
        File.SetUnixFileMode(_folder, (UnixFileMode)0b111_101_101);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_socket_is_0700_its_new_folder_0755_and_it_is_removed_on_stop()
    {
        string folder = Path.Combine(_folder, "wireguard");
        string path = Path.Combine(folder, "wgx.sock");
        using (UapiServer server = UapiServer.Start(path, new FakeUapiDevice(), NullLogger.Instance, Short))
        {
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(folder));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
            Assert.EndsWith("errno=0\n\n", Exchange(path, "get=1\n\n"), StringComparison.Ordinal);
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_stale_socket_is_replaced_and_a_live_one_is_refused()
    {
        string path = Path.Combine(_folder, "wgs.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            stale.Bind(new UnixDomainSocketEndPoint(path)); // bound, never listening: connecting is refused, as to a dead process's socket
        }

        using UapiServer server = UapiServer.Start(path, new FakeUapiDevice(), NullLogger.Instance, Short);
        Assert.EndsWith("errno=0\n\n", Exchange(path, "get=1\n\n"), StringComparison.Ordinal);
        var refused = Assert.Throws<InvalidOperationException>(() => UapiServer.Start(path, new FakeUapiDevice(), NullLogger.Instance, Short));
        Assert.Contains("another running process", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("errno=0\n\n", Exchange(path, "get=1\n\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_others_can_write_is_refused()
    {
        string folder = Path.Combine(_folder, "open");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        var refused = Assert.Throws<InvalidOperationException>(() => UapiServer.Start(Path.Combine(folder, "wgo.sock"), new FakeUapiDevice(), NullLogger.Instance, Short));
        Assert.Contains("writable by group and others", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_user_is_refused_even_where_the_socket_mode_would_let_them_in()
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        string path = Path.Combine(_folder, "wgu.sock");
        var device = new FakeUapiDevice();
        using UapiServer server = UapiServer.Start(path, device, NullLogger.Instance, Short);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);
        ExecResult result = ChildProcess.Run("/usr/bin/setpriv", [$"--reuid={UnprivilegedUser.Id}", $"--regid={UnprivilegedUser.Id}", "--clear-groups", "/usr/bin/python3", "-c",
            $"import socket\ns=socket.socket(socket.AF_UNIX)\ns.connect('{path}')\ntry:\n s.sendall(b'get=1\\n\\n')\n d=s.recv(100)\nexcept OSError:\n d=b''\nprint(repr(d))"]);
        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.Contains("b''", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(0, device.Snapshots);
        Assert.Equal(1, Interlocked.Read(ref server.Refused));
    }

    [Fact]
    public void A_client_that_never_sends_and_one_that_trickles_are_cut_off_while_others_are_served()
    {
        string path = Path.Combine(_folder, "wgt.sock");
        var device = new FakeUapiDevice();
        using UapiServer server = UapiServer.Start(path, device, NullLogger.Instance, Short);
        using Socket silent = Connect(path);
        using Socket trickler = Connect(path);
        trickler.Send("set=1\nlisten_port="u8);
        Assert.EndsWith("errno=0\n\n", Exchange(path, "get=1\n\n"), StringComparison.Ordinal);

        // The trickler keeps sending a byte now and then; its request never completes and it is closed.
        bool closed = false;
        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (!closed && DateTime.UtcNow < deadline)
        {
            try
            {
                trickler.Send("1"u8);
                Thread.Sleep(50);
            }
            catch (SocketException)
            {
                closed = true;
            }
        }

        Assert.True(closed, "the trickling client was never cut off");
        Assert.Empty(ReadToEnd(silent));
        Assert.Empty(device.Applied);
    }

    [Fact]
    public void An_oversized_request_is_EIO_and_the_server_goes_on()
    {
        string path = Path.Combine(_folder, "wgb.sock");
        using UapiServer server = UapiServer.Start(path, new FakeUapiDevice(), NullLogger.Instance, Short with { RequestTimeout = TimeSpan.FromSeconds(30) });
        using Socket client = Connect(path);
        client.Send("set=1\n"u8);
        byte[] line = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("listen_port=1\n", 100)));
        try
        {
            for (int i = 0; i < (128 << 10) / line.Length; i++)
            {
                client.Send(line);
            }
        }
        catch (SocketException)
        {
            // The server closed after answering.
        }

        Assert.Equal("errno=-5\n\n", Encoding.ASCII.GetString(ReadToEnd(client)));
        Assert.EndsWith("errno=0\n\n", Exchange(path, "get=1\n\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Many_clients_at_once_are_all_answered()
    {
        string path = Path.Combine(_folder, "wgm.sock");
        var device = new FakeUapiDevice();
        using UapiServer server = UapiServer.Start(path, device, NullLogger.Instance, Short with { IdleTimeout = TimeSpan.FromSeconds(10), RequestTimeout = TimeSpan.FromSeconds(10) });
        string[] replies = new string[24];
        Parallel.For(0, replies.Length, new ParallelOptions { MaxDegreeOfParallelism = 24 }, i =>
            replies[i] = Exchange(path, i % 2 == 0 ? "get=1\n\n" : "set=1\npersistent_keepalive_interval=1\n\n"));
        for (int i = 0; i < replies.Length; i++)
        {
            Assert.EndsWith(i % 2 == 0 ? "errno=0\n\n" : "errno=-22\n\n", replies[i], StringComparison.Ordinal);
        }

        Assert.Equal(12, device.Snapshots);
    }

    [Theory]
    [InlineData("wg0", true)]
    [InlineData("a.b-c_d", true)]
    [InlineData("123456789012345", true)]
    [InlineData("1234567890123456", false)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("wg:1", false)]
    public void Socket_names_are_interface_names(string name, bool valid) => Assert.Equal(valid, UapiServer.IsValidName(name));

    internal static string Exchange(string path, string request)
    {
        using Socket client = Connect(path);
        client.Send(Encoding.ASCII.GetBytes(request));
        client.Shutdown(SocketShutdown.Send);
        return Encoding.ASCII.GetString(ReadToEnd(client));
    }

    private static Socket Connect(string path)
    {
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 20000, SendTimeout = 20000 };
        client.Connect(new UnixDomainSocketEndPoint(path));
        return client;
    }

    private static byte[] ReadToEnd(Socket client)
    {
        var data = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = client.Receive(buffer)) > 0)
            {
                data.Write(buffer, 0, n);
            }
        }
        catch (SocketException)
        {
            // reset after the reply: what was read stands
        }

        return data.ToArray();
    }
}
