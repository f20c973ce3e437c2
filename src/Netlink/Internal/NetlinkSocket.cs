using System.Diagnostics;
using System.Runtime.InteropServices;
using RouterHost.Linux;
using static RouterHost.Linux.Interop.Libc;
using static RouterHost.Netlink.Interop.Netlink;

namespace RouterHost.Netlink;

/// <summary>
/// An AF_NETLINK datagram socket bound to a kernel-assigned port. It belongs to the network namespace of
/// the thread that opened it, for its whole life. The socket calls are <c>RouterHost.Linux</c>'s libc binding.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private readonly SafeFileDescriptor _handle;

    private NetlinkSocket(SafeFileDescriptor handle, uint portId)
    {
        _handle = handle;
        PortId = portId;
    }

    /// <summary>The port id (nl_pid) the kernel assigned on bind.</summary>
    public uint PortId { get; }

    public static NetlinkSocket Open(int protocol)
    {
        var fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        if (fd < 0)
        {
            throw new NetlinkException("opening an AF_NETLINK socket", Marshal.GetLastPInvokeError());
        }

        var handle = new SafeFileDescriptor(fd);

        try
        {
            var address = new sockaddr_nl { nl_family = AF_NETLINK };
            if (bind(handle, &address, (uint)sizeof(sockaddr_nl)) != 0)
            {
                throw new NetlinkException("binding the netlink socket", Marshal.GetLastPInvokeError());
            }

            var length = (uint)sizeof(sockaddr_nl);
            if (getsockname(handle, &address, &length) != 0)
            {
                throw new NetlinkException("reading the netlink socket's port id", Marshal.GetLastPInvokeError());
            }

            // Ask for requests' headers only in error replies, the kernel's error text, and strict
            // header checking (which also makes dumps honour the index in the request header).
            // Each is an optimisation or nicety: a kernel without one still works.
            SetOptionIfSupported(handle, NETLINK_CAP_ACK);
            SetOptionIfSupported(handle, NETLINK_EXT_ACK);
            SetOptionIfSupported(handle, NETLINK_GET_STRICT_CHK);
            return new NetlinkSocket(handle, address.nl_pid);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Send(ReadOnlySpan<byte> message, string operation)
    {
        var kernel = new sockaddr_nl { nl_family = AF_NETLINK };
        fixed (byte* bytes = message)
        {
            while (true)
            {
                var sent = sendto(_handle, bytes, (nuint)message.Length, 0, &kernel, (uint)sizeof(sockaddr_nl));
                if (sent >= 0)
                {
                    if (sent != message.Length)
                    {
                        throw new NetlinkException(operation, $"sendto wrote {sent} of {message.Length} bytes");
                    }

                    return;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NetlinkException($"{operation}: sending the request", errno);
                }
            }
        }
    }

    /// <summary>
    /// Receives one datagram from the kernel (datagrams from any other port are dropped) into
    /// <paramref name="buffer"/>, waiting at most <paramref name="timeout"/>. Returns its length.
    /// </summary>
    public int Receive(Span<byte> buffer, TimeSpan timeout, string operation)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var remainingMs = (int)Math.Max(0, (deadline - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
                if (!WaitReadable(remainingMs, operation))
                {
                    throw new NetlinkException(operation, Errno.ETIMEDOUT);
                }

                var source = default(sockaddr_nl);
                var sourceLength = (uint)sizeof(sockaddr_nl);
                var received = recvfrom(_handle, bytes, (nuint)buffer.Length, MSG_TRUNC, &source, &sourceLength);
                if (received < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno is Errno.EINTR or Errno.EAGAIN)
                    {
                        continue;
                    }

                    throw new NetlinkException($"{operation}: receiving the reply", errno);
                }

                if (received > buffer.Length)
                {
                    throw new NetlinkException(operation, $"a {received}-byte reply datagram did not fit the {buffer.Length}-byte receive buffer");
                }

                if (source.nl_pid != 0)
                {
                    // Only the kernel (port 0) answers our requests; anything else is not ours to parse.
                    continue;
                }

                return (int)received;
            }
        }
    }

    public void Dispose() => _handle.Dispose();

    private bool WaitReadable(int timeoutMs, string operation)
    {
        var added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            var fds = new pollfd { fd = _handle.Fd, events = POLLIN };
            while (true)
            {
                var ready = poll(&fds, 1, timeoutMs);
                if (ready >= 0)
                {
                    return ready > 0;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno != Errno.EINTR)
                {
                    throw new NetlinkException($"{operation}: waiting for the reply", errno);
                }
            }
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    private static void SetOptionIfSupported(SafeFileDescriptor handle, int option)
    {
        var one = 1;
        if (setsockopt(handle, SOL_NETLINK, option, &one, sizeof(int)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.ENOPROTOOPT)
            {
                throw new NetlinkException($"setting netlink socket option {option}", errno);
            }
        }
    }
}
