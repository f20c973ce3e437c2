// C struct and function names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using RouterHost.Linux;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Benchmarks.AfXdp;

/// <summary>
/// A pktgen-like UDP traffic source and sink for the forwarding benchmark: a connected UDP socket in the sending
/// namespace that sends a burst of equal datagrams with one <c>sendmmsg</c>, and a socket in the receiving namespace
/// that takes them with <c>recvmmsg</c> until the burst is in (or a poll times out, counting the rest as lost).
/// Every buffer is native memory allocated once, so a burst allocates nothing.
/// </summary>
internal sealed unsafe partial class UdpBurst : IDisposable
{
    private const int SOL_SOCKET = 1;
    private const int SO_RCVBUFFORCE = 33;
    private const int SO_SNDBUFFORCE = 32;
    private const int MSG_DONTWAIT = 0x40;
    private const int ReceiveTimeoutMilliseconds = 1000;

    private readonly Socket _sender;
    private readonly Socket _receiver;
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

    /// <summary>Sends one burst and waits until all of it arrived; returns how many arrived.</summary>
    public int SendAndReceive()
    {
        int sent = 0;
        int fd = (int)_sender.SafeHandle.DangerousGetHandle();
        while (sent < Burst)
        {
            int n = sendmmsg(fd, _send + sent, (uint)(Burst - sent), 0);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Errno.EINTR or Errno.EAGAIN or Errno.ENOBUFS)
                {
                    continue;
                }

                throw new LinuxException("sendmmsg", errno);
            }

            sent += n;
        }

        int received = 0;
        int rfd = (int)_receiver.SafeHandle.DangerousGetHandle();
        pollfd wait = new() { fd = rfd, events = POLLIN };
        while (received < Burst)
        {
            int n = recvmmsg(rfd, _receive, (uint)(Burst - received), MSG_DONTWAIT, null);
            if (n > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    if (_receive[i].msg_len != (uint)Payload)
                    {
                        Damaged++;
                    }
                }

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

    public void Dispose()
    {
        _sender.Dispose();
        _receiver.Dispose();
        NativeMemory.Free(_send);
        NativeMemory.Free(_receive);
        NativeMemory.Free(_sendIov);
        NativeMemory.Free(_receiveIov);
        NativeMemory.Free(_payload);
        NativeMemory.Free(_buffers);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sendmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int recvmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags, void* timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct msghdr
    {
        public void* msg_name;
        public uint msg_namelen;
        public iovec* msg_iov;
        public nuint msg_iovlen;
        public void* msg_control;
        public nuint msg_controllen;
        public int msg_flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct mmsghdr
    {
        public msghdr msg_hdr;
        public uint msg_len;
    }
}
