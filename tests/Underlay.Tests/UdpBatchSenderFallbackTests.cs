using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Underlay.Internal;
using RouterHost.Underlay.Tests.Support;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay.Tests;

/// <summary>
/// The EIO fallback. The kernel answers a <c>UDP_SEGMENT</c> send with EIO only on a path that cannot segment: before
/// Linux 6.11 a device without checksum offload (on 6.11 and later it segments in software: see
/// <see cref="UdpNamespaceTests.GSO_through_a_device_without_checksum_offload_delivers_every_datagram"/>), and always
/// an IPsec (xfrm) path, which needs ESP in the kernel (this one has none). So EIO is provoked through the sender's
/// seam: a stand-in for libc's <c>sendmmsg</c> that refuses every message carrying <c>UDP_SEGMENT</c> with EIO, as
/// the kernel does, and passes every other message to the real <c>sendmmsg</c> on a real socket.
/// </summary>
public sealed unsafe class UdpBatchSenderFallbackTests
{
    [Fact]
    public void A_GSO_message_refused_with_EIO_turns_GSO_off_for_the_socket_logs_once_and_every_datagram_still_arrives()
    {
        using var a = Receiver();
        using var b = Receiver();
        var logger = new CountingLogger();
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback), logger);
        int refusals = 0;
        var sender = new UdpBatchSender(socket, 64, (fd, messages, count, flags) => RefuseGso(fd, messages, count, flags, ref refusals));
        byte[][] toA = Datagrams.Many(20, _ => 1000);
        byte[][] toB = Datagrams.Many(10, _ => 800);
        foreach (byte[] d in toA)
        {
            Assert.True(sender.TryAdd(Endpoint(a), d));
        }

        foreach (byte[] d in toB)
        {
            Assert.True(sender.TryAdd(Endpoint(b), d));
        }

        Assert.True(sender.TryAdd(Endpoint(b), Datagrams.Make(99, 1300)));
        var drops = new DropTally();

        Assert.Equal(31, sender.Flush(drops));

        Assert.Equal(0, drops.Total);
        Assert.False(socket.GsoEnabled);
        Assert.Equal(2, refusals);
        Assert.Equal(2, sender.GsoFallbacks);
        Assert.Equal(0, sender.GsoMessagesSent);
        Assert.Equal(31, sender.MessagesSent);
        Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("EIO", StringComparison.Ordinal));
        Assert.Equal(toA, Receive(a, toA.Length));
        Assert.Equal([.. toB, Datagrams.Make(99, 1300)], Receive(b, toB.Length + 1));

        // From now on nothing is coalesced on this socket, by this sender or any other.
        var other = new UdpBatchSender(socket, 64, (fd, messages, count, flags) => RefuseGso(fd, messages, count, flags, ref refusals));
        foreach (byte[] d in toA)
        {
            Assert.True(sender.TryAdd(Endpoint(a), d));
            Assert.True(other.TryAdd(Endpoint(b), d));
        }

        Assert.Equal(20, sender.Flush(drops));
        Assert.Equal(20, other.Flush(drops));
        Assert.Equal(2, refusals);
        Assert.Equal(51, sender.MessagesSent);
        Assert.Equal(20, other.MessagesSent);
        Assert.Equal(toA, Receive(a, toA.Length));
        Assert.Equal(toA, Receive(b, toA.Length));
        Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
    }

    [Fact]
    public void Datagrams_of_a_resent_run_that_fail_on_their_own_are_counted_by_reason()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        int calls = 0;
        var sender = new UdpBatchSender(socket, 64, (fd, messages, count, flags) =>
        {
            calls++;
            Marshal.SetLastPInvokeError(CarriesSegmentSize(messages[0]) ? Errno.EMSGSIZE : Errno.ENOBUFS);
            return -1;
        });
        foreach (byte[] d in Datagrams.Many(5, _ => 100))
        {
            Assert.True(sender.TryAdd(UdpEndpoint.Create(IPAddress.Loopback, 9), d));
        }

        var drops = new DropTally();
        Assert.Equal(0, sender.Flush(drops));
        Assert.Equal(5, drops[UnderlayDropReasons.SendNoBuffers]);
        Assert.Equal(1 + 5, calls);
        Assert.True(socket.GsoEnabled);
    }

    [Fact]
    public void A_call_interrupted_by_a_signal_is_retried()
    {
        using var a = Receiver();
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        int interrupts = 3;
        var sender = new UdpBatchSender(socket, 8, (fd, messages, count, flags) =>
        {
            if (interrupts-- > 0)
            {
                Marshal.SetLastPInvokeError(Errno.EINTR);
                return -1;
            }

            // One message per call: a partial send, which continues with the rest.
            return sendmmsg(fd, messages, 1, flags);
        });
        byte[][] datagrams = [Datagrams.Make(0, 10), Datagrams.Make(1, 20), Datagrams.Make(2, 30)];
        foreach (byte[] d in datagrams)
        {
            Assert.True(sender.TryAdd(Endpoint(a), d));
        }

        var drops = new DropTally();
        Assert.Equal(3, sender.Flush(drops));
        Assert.Equal(0, drops.Total);
        Assert.Equal(datagrams, Receive(a, 3));
    }

    [Theory]
    [InlineData(Errno.ECONNREFUSED, "underlay.send.refused")]
    [InlineData(Errno.EHOSTUNREACH, "underlay.send.host_unreachable")]
    [InlineData(Errno.EHOSTDOWN, "underlay.send.host_unreachable")]
    [InlineData(Errno.ENETUNREACH, "underlay.send.network_unreachable")]
    [InlineData(Errno.ENETDOWN, "underlay.send.network_unreachable")]
    [InlineData(Errno.EMSGSIZE, "underlay.send.too_large")]
    [InlineData(Errno.EAGAIN, "underlay.send.would_block")]
    [InlineData(Errno.ENOBUFS, "underlay.send.no_buffers")]
    [InlineData(Errno.ENOMEM, "underlay.send.no_buffers")]
    [InlineData(Errno.EACCES, "underlay.send.prohibited")]
    [InlineData(Errno.EPERM, "underlay.send.prohibited")]
    [InlineData(Errno.EAFNOSUPPORT, "underlay.send.address_family")]
    [InlineData(Errno.EADDRNOTAVAIL, "underlay.send.address_unavailable")]
    [InlineData(Errno.EINVAL, "underlay.send.invalid")]
    [InlineData(Errno.EBADF, "underlay.send.failed")]
    public void Each_send_errno_is_counted_under_its_reason(int errno, string reason)
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gso = false });
        var sender = new UdpBatchSender(socket, 8, (fd, messages, count, flags) =>
        {
            Marshal.SetLastPInvokeError(errno);
            return -1;
        });
        Assert.True(sender.TryAdd(UdpEndpoint.Create(IPAddress.Loopback, 9), Datagrams.Make(0, 10)));
        var drops = new DropTally();
        Assert.Equal(0, sender.Flush(drops));
        Assert.Equal(1, drops[DropReason.Register(reason)]);
        Assert.Equal(1, drops.Total);
    }

    private static int RefuseGso(SafeFileDescriptor fd, mmsghdr* messages, uint count, int flags, ref int refusals)
    {
        if (CarriesSegmentSize(messages[0]))
        {
            refusals++;
            Marshal.SetLastPInvokeError(Errno.EIO);
            return -1;
        }

        // Like the kernel: the messages before the first GSO one go out, the call returns how many did.
        uint plain = 1;
        while (plain < count && !CarriesSegmentSize(messages[plain]))
        {
            plain++;
        }

        return sendmmsg(fd, messages, plain, flags);
    }

    private static bool CarriesSegmentSize(in mmsghdr message)
    {
        var reader = new ControlMessageReader(new ReadOnlySpan<byte>(message.msg_hdr.msg_control, (int)message.msg_hdr.msg_controllen));
        while (reader.TryNext(out int level, out int type, out _))
        {
            if (level == SOL_UDP && type == UDP_SEGMENT)
            {
                return true;
            }
        }

        return false;
    }

    private static Socket Receiver()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    private static UdpEndpoint Endpoint(Socket socket) => UdpEndpoint.Create((IPEndPoint)socket.LocalEndPoint!);

    private static List<byte[]> Receive(Socket socket, int count)
    {
        var result = new List<byte[]>();
        byte[] buffer = new byte[65536];
        for (int i = 0; i < count; i++)
        {
            int n = socket.Receive(buffer);
            result.Add(buffer.AsSpan(0, n).ToArray());
        }

        return result;
    }
}
