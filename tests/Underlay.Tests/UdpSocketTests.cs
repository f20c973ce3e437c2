using System.Net;
using System.Net.Sockets;
using RouterHost.Linux;
using RouterHost.Underlay.Tests.Support;

namespace RouterHost.Underlay.Tests;

/// <summary>Opening sockets: families, options, buffers and the errors a bad bind gives.</summary>
[NeedsRoot]
public sealed class UdpSocketTests
{
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::1", true)]
    [InlineData("::", true)]
    public void A_socket_binds_its_address_and_reports_the_port_the_kernel_chose(string address, bool ipv6)
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(address)));
        Assert.Equal(ipv6, socket.IsIPv6);
        Assert.Equal(ipv6, socket.LocalEndpoint.IsIPv6);
        Assert.NotEqual(0, socket.LocalEndpoint.Port);
        Assert.Equal(UdpEndpoint.Create(IPAddress.Parse(address), socket.LocalEndpoint.Port), socket.LocalEndpoint);
        Assert.False(socket.IsDualStack);
    }

    [Fact]
    public void An_IPv4_mapped_bind_address_opens_an_IPv4_socket()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(socket.IsIPv6);
        Assert.Equal("127.0.0.1", socket.LocalEndpoint.ToIPEndPoint().Address.ToString());
    }

    [Fact]
    public void A_dual_stack_socket_says_so()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.IPv6Any) { V6Only = false });
        Assert.True(socket.IsIPv6);
        Assert.True(socket.IsDualStack);
    }

    [Fact]
    public void Binding_a_port_in_use_names_the_call_the_address_and_the_errno()
    {
        using UdpSocket first = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        ushort port = first.LocalEndpoint.Port;
        var error = Assert.Throws<LinuxException>(() => UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback, port)));
        Assert.Equal(Errno.EADDRINUSE, error.ErrorNumber);
        Assert.StartsWith($"bind(127.0.0.1:{port}) failed: EADDRINUSE (98)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Binding_an_address_that_is_not_local_fails_with_EADDRNOTAVAIL()
    {
        var error = Assert.Throws<LinuxException>(() => UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse("192.0.2.123"), 4000)));
        Assert.Equal(Errno.EADDRNOTAVAIL, error.ErrorNumber);
        Assert.Contains("bind(192.0.2.123:4000)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_that_are_not_IP_or_negative_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { ReceiveBufferBytes = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { SendBufferBytes = -1 }));
        Assert.Throws<ArgumentNullException>(() => UdpSocket.Open(null!));
    }

    [Fact]
    public void Sockets_that_set_ReusePort_share_one_port_and_the_kernel_spreads_flows_over_them()
    {
        var options = new UdpSocketOptions(IPAddress.Loopback) { ReusePort = true, Gro = false };
        using UdpSocket first = UdpSocket.Open(options);
        using UdpSocket second = UdpSocket.Open(options with { Port = first.LocalEndpoint.Port });
        Assert.Equal(first.LocalEndpoint, second.LocalEndpoint);
        Assert.Throws<LinuxException>(() => UdpSocket.Open(options with { Port = first.LocalEndpoint.Port, ReusePort = false }));

        const int Flows = 64;
        for (int i = 0; i < Flows; i++)
        {
            using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            sender.SendTo(Datagrams.Make(i, 100), first.LocalEndpoint.ToIPEndPoint());
        }

        using var q1 = new UdpReceiveQueue(first, 0, 64, 0, 0);
        using var q2 = new UdpReceiveQueue(second, 1, 64, 0, 0);
        int a = ReadAvailable(q1);
        int b = ReadAvailable(q2);
        Assert.Equal(Flows, a + b);
        Assert.True(a > 0 && b > 0, $"the kernel put {a} flows on one socket and {b} on the other");
    }

    [Fact]
    public void Large_buffers_are_forced_past_the_sysctl_limits_when_root()
    {
        Assert.SkipUnless(TestInterop.geteuid() == 0, "SO_RCVBUFFORCE needs CAP_NET_ADMIN; the test runs as an unprivileged user");
        int max = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_max").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        int asked = Math.Max(UdpSocketOptions.DefaultBufferBytes, max * 2);
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { ReceiveBufferBytes = asked, SendBufferBytes = asked });
        Assert.True(socket.BuffersForced);
        Assert.Equal(2 * asked, socket.ReceiveBufferBytes);
        Assert.Equal(2 * asked, socket.SendBufferBytes);
    }

    [Fact]
    public void Zero_keeps_the_kernels_default_buffers()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { ReceiveBufferBytes = 0, SendBufferBytes = 0 });
        int rmemDefault = int.Parse(File.ReadAllText("/proc/sys/net/core/rmem_default").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(rmemDefault, socket.ReceiveBufferBytes);
        Assert.False(socket.BuffersForced);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void GRO_and_GSO_are_on_when_asked_for(bool gro, bool gso)
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = gro, Gso = gso });
        Assert.Equal(gro, socket.GroEnabled);
        Assert.Equal(gso, socket.GsoEnabled);
    }

    [Fact]
    public void A_socket_opened_in_a_network_namespace_lives_there()
    {
        Assert.SkipUnless(RouterHost.Linux.Namespaces.NetworkNamespace.IsSupported, RouterHost.Linux.Namespaces.NetworkNamespace.UnsupportedReason ?? "");
        using var ns = RouterHost.Linux.Namespaces.NetworkNamespace.Create("udpsock");
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { NetworkNamespace = ns.Name });
        string sockets = ns.Exec("cat", "/proc/net/udp").EnsureSuccess().StdOut;
        Assert.Contains($":{socket.LocalEndpoint.Port:X4} ", sockets, StringComparison.Ordinal);
    }

    private static int ReadAvailable(UdpReceiveQueue queue)
    {
        var batch = new RouterHost.Abstractions.PacketBatch(64);
        int total = 0;
        // Every datagram was queued before the reads: drain without blocking, then stop.
        while (Poll(queue.Socket))
        {
            Assert.True(queue.Read(batch));
            total += batch.Count;
        }

        return total;
    }

    private static unsafe bool Poll(UdpSocket socket)
    {
        var fd = new RouterHost.Linux.Interop.Libc.pollfd { fd = socket.Handle.Fd, events = RouterHost.Linux.Interop.Libc.POLLIN };
        return RouterHost.Linux.Interop.Libc.poll(&fd, 1, 0) > 0;
    }
}
