using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using RouterHost.Linux;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Benchmarks.AfXdp;

/// <summary>
/// A pktgen-like UDP traffic source and sink for the forwarding benchmark: a connected UDP socket in the sending
/// namespace that sends equal datagrams with <c>sendmmsg</c>, and a socket in the receiving namespace that takes them
/// with <c>recvmmsg</c>. Two ways to drive them: <see cref="SendAndReceive"/>, one closed burst (send all, then
/// receive all: the forwarder cannot overlap the generator), and <see cref="Stream"/>, a sliding window (send a chunk
/// whenever at most <see cref="Burst"/> minus a chunk are in flight, receive what arrived in between): the forwarder
/// works on one chunk while the generator sends the next, as under real traffic, with never more than
/// <see cref="Burst"/> datagrams in flight. A poll that times out counts the missing datagrams as lost. Every buffer
/// is native memory allocated once, so neither allocates.
/// </summary>
internal sealed unsafe class UdpBurst : IDisposable
{
    private const int ReceiveTimeoutMilliseconds = 1000;

    private readonly Socket _sender;
    private readonly Socket _receiver;

    /// <summary>The sockets' descriptors for libc's calls (the sockets own and close them).</summary>
    private readonly SafeFileDescriptor _senderFd;
    private readonly SafeFileDescriptor _receiverFd;
    private readonly mmsghdr* _send;
    private readonly mmsghdr* _receive;
    private readonly iovec* _sendIov;
    private readonly iovec* _receiveIov;
    private readonly byte* _payload;
    private readonly byte* _buffers;

    public UdpBurst(string fromNamespace, string toNamespace, IPEndPoint destination, int payload, int burst)
    {
        Burst = burst;
        Payload = payload;
        _receiver = NetworkNamespaceThread.Run(toNamespace, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.SetRawSocketOption(SOL_SOCKET, SO_RCVBUFFORCE, BitConverter.GetBytes(32 << 20));
            s.Bind(destination);
            return s;
        });
        _sender = NetworkNamespaceThread.Run(fromNamespace, () =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            s.SetRawSocketOption(SOL_SOCKET, SO_SNDBUFFORCE, BitConverter.GetBytes(32 << 20));
            s.Connect(destination);
            return s;
        });
        _senderFd = new SafeFileDescriptor((int)_sender.SafeHandle.DangerousGetHandle(), ownsHandle: false);
        _receiverFd = new SafeFileDescriptor((int)_receiver.SafeHandle.DangerousGetHandle(), ownsHandle: false);
        _send = (mmsghdr*)NativeMemory.AllocZeroed((nuint)(sizeof(mmsghdr) * burst));
        _receive = (mmsghdr*)NativeMemory.AllocZeroed((nuint)(sizeof(mmsghdr) * burst));
        _sendIov = (iovec*)NativeMemory.AllocZeroed((nuint)(sizeof(iovec) * burst));
        _receiveIov = (iovec*)NativeMemory.AllocZeroed((nuint)(sizeof(iovec) * burst));
        _payload = (byte*)NativeMemory.AllocZeroed((nuint)payload);
        _buffers = (byte*)NativeMemory.AllocZeroed((nuint)(2048 * burst));
        new Random(payload).NextBytes(new Span<byte>(_payload, payload));
        for (int i = 0; i < burst; i++)
        {
            _sendIov[i] = new iovec { iov_base = _payload, iov_len = (nuint)payload };
            _send[i].msg_hdr.msg_iov = &_sendIov[i];
            _send[i].msg_hdr.msg_iovlen = 1;
            _receiveIov[i] = new iovec { iov_base = _buffers + (2048 * i), iov_len = 2048 };
            _receive[i].msg_hdr.msg_iov = &_receiveIov[i];
            _receive[i].msg_hdr.msg_iovlen = 1;
        }
    }

    public int Burst { get; }

    public int Payload { get; }

    /// <summary>Datagrams that did not arrive within the timeout.</summary>
    public long Lost { get; private set; }

    /// <summary>Datagrams that arrived with another length than sent (never expected).</summary>
    public long Damaged { get; private set; }

    /// <summary>Forgets losses and damage seen so far (those of the warm-up).</summary>
    public void ResetCounters()
    {
        Lost = 0;
        Damaged = 0;
    }

    /// <summary>
    /// Moves <paramref name="packets"/> datagrams through a sliding window of <see cref="Burst"/> in chunks of
    /// <paramref name="chunk"/>: sends while the window has room for a chunk, receives without waiting, and blocks in
    /// <c>poll</c> only when the window is full and nothing arrived. Returns how many arrived.
    /// </summary>
    public long Stream(long packets, int chunk)
    {
        long sent = 0;
        long received = 0;
        pollfd wait = new() { fd = _receiverFd.Fd, events = POLLIN };
        while (received < packets)
        {
            long inFlight = sent - received;
            long room = Math.Min(Burst - inFlight, packets - sent);
            if (room >= chunk || (room > 0 && sent + room == packets))
            {
                sent += Send(0, (int)Math.Min(room, chunk));
            }

            int got = ReceiveWithoutWaiting((int)Math.Min(Burst, sent - received));
            if (got > 0)
            {
                received += got;
                continue;
            }

            bool full = Burst - (sent - received) < chunk || sent == packets;
            if (full && poll(&wait, 1, ReceiveTimeoutMilliseconds) == 0)
            {
                Lost += sent - received;
                break;
            }
        }

        return received;
    }

    /// <summary>Sends one burst and waits until all of it arrived; returns how many arrived.</summary>
    public int SendAndReceive()
    {
        int sent = 0;
        while (sent < Burst)
        {
            sent += Send(sent, Burst - sent);
        }

        int received = 0;
        pollfd wait = new() { fd = _receiverFd.Fd, events = POLLIN };
        while (received < Burst)
        {
            int n = ReceiveWithoutWaiting(Burst - received);
            if (n > 0)
            {
                received += n;
                continue;
            }

            if (poll(&wait, 1, ReceiveTimeoutMilliseconds) == 0)
            {
                Lost += Burst - received;
                break;
            }
        }

        return received;
    }

    /// <summary>One <c>sendmmsg</c> of up to <paramref name="count"/> datagrams; 0 when the kernel says try again.</summary>
    private int Send(int offset, int count)
    {
        int n = sendmmsg(_senderFd, _send + offset, (uint)count, 0);
        if (n >= 0)
        {
            return n;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno is Errno.EINTR or Errno.EAGAIN or Errno.ENOBUFS ? 0 : throw new LinuxException("sendmmsg", errno);
    }

    /// <summary>One <c>recvmmsg</c> without waiting, of up to <paramref name="max"/> datagrams, counting damaged ones.</summary>
    private int ReceiveWithoutWaiting(int max)
    {
        int n = recvmmsg(_receiverFd, _receive, (uint)max, MSG_DONTWAIT, null);
        for (int i = 0; i < n; i++)
        {
            if (_receive[i].msg_len != (uint)Payload)
            {
                Damaged++;
            }
        }

        return n;
    }

    public void Dispose()
    {
        _senderFd.Dispose();
        _receiverFd.Dispose();
        _sender.Dispose();
        _receiver.Dispose();
        NativeMemory.Free(_send);
        NativeMemory.Free(_receive);
        NativeMemory.Free(_sendIov);
        NativeMemory.Free(_receiveIov);
        NativeMemory.Free(_payload);
        NativeMemory.Free(_buffers);
    }
}
