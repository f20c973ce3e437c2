using System.Net.Sockets;
using System.Text;
using RouterHost.Hosting;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Hosting;

public sealed class SystemdNotifierTests
{
    [Fact]
    public void Without_NOTIFY_SOCKET_nothing_is_sent_and_nothing_fails()
    {
        var notifier = new SystemdNotifier(socketPath: null);
        Assert.False(notifier.IsEnabled);
        Assert.Null(notifier.Notify("READY=1"));
    }

    [Fact]
    public void Sends_to_a_socket_in_the_abstract_namespace()
    {
        string name = "routerhost-test-" + Guid.NewGuid().ToString("N");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint("\0" + name));
        socket.ReceiveTimeout = 5000;

        Assert.Null(new SystemdNotifier("@" + name).Notify("READY=1"));

        var buffer = new byte[64];
        int n = socket.Receive(buffer);
        Assert.Equal("READY=1", Encoding.UTF8.GetString(buffer, 0, n));
    }

    [Fact]
    public void A_socket_that_is_gone_is_reported_not_thrown()
    {
        using var dir = new TempDirectory();
        string? error = new SystemdNotifier(dir.Combine("missing.sock")).Notify("READY=1");
        Assert.NotNull(error);
        Assert.Contains("missing.sock", error, StringComparison.Ordinal);
    }
}
