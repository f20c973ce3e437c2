using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Linux;
using RouterHost.Underlay.Internal;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay;

/// <summary>
/// One bound UDP socket the router owns: a raw fd (<see cref="Handle"/>), blocking (sends block when the send buffer
/// is full, which is the back-pressure a tunnel wants; receives pass <c>MSG_DONTWAIT</c> and wait in <c>poll</c>).
/// Receiving reports every datagram's local address (<c>IP_PKTINFO</c> / <c>IPV6_RECVPKTINFO</c>), so replies can
/// leave from the address the peer used. Read it with a <see cref="UdpReceiveQueue"/>, send on it with a
/// <see cref="UdpBatchSender"/> per thread.
/// </summary>
public sealed partial class UdpSocket : IDisposable
{
    /// <summary>The most sockets <see cref="OpenGroup(UdpSocketOptions, int, ILogger)"/> opens on one port.</summary>
    public const int MaxGroupSockets = 1024;

    private const string SsCommand = "ss -ulpn";

    private readonly ILogger _logger;
    private int _gso;

    private UdpSocket(SafeFileDescriptor handle, UdpEndpoint local, bool ipv6, bool dualStack, bool gro, bool gso, Buffers buffers, ILogger logger)
    {
        Handle = handle;
        LocalEndpoint = local;
        IsIPv6 = ipv6;
        IsDualStack = dualStack;
        GroEnabled = gro;
        _gso = gso ? 1 : 0;
        ReceiveBufferBytes = buffers.Receive;
        SendBufferBytes = buffers.Send;
        BuffersForced = buffers.Forced;
        _logger = logger;
    }

    /// <summary>The socket's file descriptor.</summary>
    public SafeFileDescriptor Handle { get; }

    /// <summary>The bound address and port (the port the kernel chose when 0 was asked for).</summary>
    public UdpEndpoint LocalEndpoint { get; }

    /// <summary>Whether this is an <c>AF_INET6</c> socket (it sends to IPv4 peers only when <see cref="IsDualStack"/>).</summary>
    public bool IsIPv6 { get; }

    /// <summary>Whether this IPv6 socket also carries IPv4 (<c>IPV6_V6ONLY</c> off).</summary>
    public bool IsDualStack { get; }

    /// <summary>Whether <c>UDP_GRO</c> is on: reads may return coalesced datagrams, which the receive queue splits.</summary>
    public bool GroEnabled { get; }

    /// <summary>
    /// Whether senders may use <c>UDP_SEGMENT</c>. On when asked for and the kernel knows the option; turns off for
    /// good (logged once) when the kernel refuses a GSO send with EIO (a path that cannot segment, e.g. IPsec).
    /// </summary>
    public bool GsoEnabled => Volatile.Read(ref _gso) != 0;

    /// <summary>
    /// The receive buffer as the kernel reports it (<c>SO_RCVBUF</c>): twice the size set (the kernel doubles it for
    /// its bookkeeping), or <c>net.core.rmem_default</c> when none was set.
    /// </summary>
    public int ReceiveBufferBytes { get; }

    /// <summary>The send buffer as the kernel reports it (<c>SO_SNDBUF</c>): twice the size set, or <c>net.core.wmem_default</c>.</summary>
    public int SendBufferBytes { get; }

    /// <summary>
    /// Whether the buffers were set with <c>SO_RCVBUFFORCE</c>/<c>SO_SNDBUFFORCE</c> (needs CAP_NET_ADMIN; past
    /// <c>net.core.rmem_max</c>/<c>wmem_max</c>) rather than capped by those sysctls.
    /// </summary>
    public bool BuffersForced { get; }

    /// <summary>Opens and binds a socket; see <see cref="Open(UdpSocketOptions, ILogger)"/>.</summary>
    public static UdpSocket Open(UdpSocketOptions options) => Open(options, NullLogger.Instance);

    /// <summary>
    /// Opens a UDP socket, sets its options and binds it. Throws <see cref="LinuxException"/> naming the call, the
    /// address and the errno (e.g. <c>bind(0.0.0.0:51820) failed: EADDRINUSE (98): Address already in use</c>).
    /// </summary>
    public static UdpSocket Open(UdpSocketOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Address);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ReceiveBufferBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.SendBufferBytes);
        IPAddress address = options.Address.IsIPv4MappedToIPv6 ? options.Address.MapToIPv4() : options.Address;
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"{address} is neither an IPv4 nor an IPv6 address.", nameof(options));
        }

        UdpEndpoint bind = UdpEndpoint.Create(address, options.Port);
        return NetworkNamespaceThread.Run(options.NetworkNamespace, () => OpenHere(options, bind, logger));
    }

    /// <summary>
    /// Opens <paramref name="count"/> sockets on one address and port that this process alone receives on: one runner
    /// lane each, the kernel spreading flows over them and keeping each flow on one socket.
    /// <list type="bullet">
    /// <item>One socket is bound without <c>SO_REUSEPORT</c>: no other socket can join it.</item>
    /// <item>Several share the port with <c>SO_REUSEPORT</c>. A probe bind without it first proves the port free
    /// (<c>EADDRINUSE</c>: someone holds it); after the group is bound, the kernel's socket table must show no other
    /// socket on the port (one that slipped in between); then a classic BPF program (<see cref="ReuseportProgram"/>)
    /// picks among the group's first <paramref name="count"/> sockets only, so a socket of the same user that joins later
    /// receives nothing.</item>
    /// </list>
    /// A port another socket holds is refused with <see cref="LinuxException"/> (<c>EADDRINUSE</c>) naming the address,
    /// the port, the process holding it when it can be seen, and the <c>ss</c> command that shows it. The options'
    /// <see cref="UdpSocketOptions.ReusePort"/> is not used; port 0 picks one free port for all.
    /// </summary>
    public static UdpSocket[] OpenGroup(UdpSocketOptions options, int count, ILogger logger) => OpenGroup(options, count, logger, afterProbe: null);

    /// <summary>
    /// <see cref="OpenGroup(UdpSocketOptions, int, ILogger)"/> with a seam: <paramref name="afterProbe"/> runs (in the
    /// socket's namespace) between the probe and the group's binds, where another process could slip in.
    /// </summary>
    internal static UdpSocket[] OpenGroup(UdpSocketOptions options, int count, ILogger logger, Action<UdpEndpoint>? afterProbe)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Address);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxGroupSockets);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ReceiveBufferBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.SendBufferBytes);
        IPAddress address = options.Address.IsIPv4MappedToIPv6 ? options.Address.MapToIPv4() : options.Address;
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"{address} is neither an IPv4 nor an IPv6 address.", nameof(options));
        }

        return NetworkNamespaceThread.Run(options.NetworkNamespace, () => OpenGroupHere(options, address, count, logger, afterProbe));
    }

    /// <summary>Closes the socket. Readers and senders must be done with it (the queue's Close wakes a reader first).</summary>
    public void Dispose() => Handle.Dispose();

    /// <summary>
    /// Sets <c>SO_MARK</c> on the open socket (0 clears it): datagrams sent from now on carry the mark. Needs
    /// CAP_NET_ADMIN; a refusal throws with the errno. Safe while other threads send (the kernel reads the mark per send).
    /// </summary>
    public void SetFirewallMark(uint mark) => SetMark(Handle, mark, LocalEndpoint);

    /// <inheritdoc />
    public override string ToString() => $"udp {LocalEndpoint}";

    /// <summary>Turns GSO off for this socket after the kernel refused it; logs the first time only.</summary>
    internal void DisableGso(int errno)
    {
        if (Interlocked.Exchange(ref _gso, 0) != 0)
        {
            Log.GsoDisabled(_logger, LocalEndpoint.ToString(), Errno.Describe(errno));
        }
    }

    private static UdpSocket[] OpenGroupHere(UdpSocketOptions options, IPAddress address, int count, ILogger logger, Action<UdpEndpoint>? afterProbe)
    {
        UdpEndpoint bind = UdpEndpoint.Create(address, options.Port);
        if (count == 1)
        {
            try
            {
                return [OpenHere(options with { ReusePort = false }, bind, logger)];
            }
            catch (LinuxException ex) when (ex.ErrorNumber == Errno.EADDRINUSE)
            {
                throw PortHeld(bind, options, new HashSet<ulong>());
            }
        }

        // The probe takes the port alone, so EADDRINUSE means another socket holds it, SO_REUSEPORT or not; for port 0
        // it also picks one that is free for all of them.
        UdpEndpoint port;
        try
        {
            using UdpSocket probe = OpenHere(new UdpSocketOptions(address, options.Port) { V6Only = options.V6Only, Gro = false, Gso = false, ReceiveBufferBytes = 0, SendBufferBytes = 0 }, bind, NullLogger.Instance);
            port = probe.LocalEndpoint;
        }
        catch (LinuxException ex) when (ex.ErrorNumber == Errno.EADDRINUSE)
        {
            throw PortHeld(bind, options, new HashSet<ulong>());
        }

        bind = UdpEndpoint.Create(address, port.Port);
        afterProbe?.Invoke(bind);
        var sockets = new List<UdpSocket>(count);
        try
        {
            var shared = options with { ReusePort = true, Port = port.Port };
            for (int i = 0; i < count; i++)
            {
                sockets.Add(OpenHere(shared, bind, logger));
            }
        }
        catch (LinuxException ex) when (ex.ErrorNumber == Errno.EADDRINUSE)
        {
            DisposeAll(sockets);
            throw PortHeld(bind, options, new HashSet<ulong>());
        }
        catch
        {
            DisposeAll(sockets);
            throw;
        }

        try
        {
            // Another process may have bound the port between the probe and the first of these binds (and then shares
            // the group): the kernel's table tells, and nothing but the group's own sockets may be on the port.
            var own = new HashSet<ulong>();
            foreach (UdpSocket socket in sockets)
            {
                own.Add(UdpPortHolders.InodeOf(socket.Handle));
            }

            // Without the group's own inodes (no /proc) ours cannot be told from theirs: nothing is refused then.
            foreach (UdpSocketEntry entry in own.Contains(0) ? [] : UdpSocketTable.Read())
            {
                if (UdpSocketTable.Overlaps(entry.Local, bind) && !own.Contains(entry.Inode))
                {
                    throw PortHeld(bind, options, own);
                }
            }

            AttachSteering(sockets[0], count);
        }
        catch
        {
            DisposeAll(sockets);
            throw;
        }

        Log.GroupOpened(logger, bind.ToString(), count);
        return [.. sockets];
    }

    private static void DisposeAll(List<UdpSocket> sockets)
    {
        foreach (UdpSocket socket in sockets)
        {
            socket.Dispose();
        }
    }

    private static unsafe void AttachSteering(UdpSocket first, int count)
    {
        Interop.Filter.sock_filter[] program = ReuseportProgram.Build(count);
        fixed (Interop.Filter.sock_filter* instructions = program)
        {
            var fprog = new Interop.Filter.sock_fprog { len = (ushort)program.Length, filter = instructions };
            if (setsockopt(first.Handle, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fprog, (uint)sizeof(Interop.Filter.sock_fprog)) != 0)
            {
                throw LinuxException.FromErrno(Errno.Last, $"setsockopt(SO_ATTACH_REUSEPORT_CBPF) on the UDP sockets for {first.LocalEndpoint}");
            }
        }
    }

    // EADDRINUSE with who holds the port and how to see it; the caller adds which setting chose the port.
    private static LinuxException PortHeld(UdpEndpoint bind, UdpSocketOptions options, HashSet<ulong> own)
    {
        string holders = UdpPortHolders.Describe(bind, own);
        string where = options.NetworkNamespace is null ? string.Empty : $" in network namespace '{options.NetworkNamespace}'";
        string ss = $"{SsCommand} 'sport = :{bind.Port}'";
        if (options.NetworkNamespace is { } ns)
        {
            ss = ns.StartsWith('/') ? $"nsenter --net={ns} {ss}" : $"ip netns exec {ns} {ss}";
        }

        return new LinuxException(
            $"bind({bind})", Errno.EADDRINUSE,
            $"{holders} holds UDP port {bind.Port}{where}. Sockets of two processes on one port would split its datagrams between them, so this one is not opened: stop the other, or choose another port ({ss} shows who holds it)");
    }

    private static unsafe UdpSocket OpenHere(UdpSocketOptions options, UdpEndpoint bind, ILogger logger)
    {
        bool ipv6 = bind.IsIPv6;
        int raw = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
        if (raw < 0)
        {
            throw LinuxException.FromErrno(Errno.Last, $"socket({(ipv6 ? "AF_INET6" : "AF_INET")}, SOCK_DGRAM) for {bind}");
        }

        var handle = new SafeFileDescriptor(raw);
        try
        {
            if (ipv6)
            {
                SetInt(handle, SOL_IPV6, IPV6_V6ONLY, options.V6Only ? 1 : 0, "IPV6_V6ONLY", bind);
                SetInt(handle, SOL_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO", bind);
            }
            else
            {
                SetInt(handle, SOL_IP, IP_PKTINFO, 1, "IP_PKTINFO", bind);
            }

            if (options.ReusePort)
            {
                SetInt(handle, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", bind);
            }

            if (options.FirewallMark != 0)
            {
                SetMark(handle, options.FirewallMark, bind);
            }

            var (receive, receiveForced) = SetBuffer(handle, SO_RCVBUFFORCE, SO_RCVBUF, options.ReceiveBufferBytes, "SO_RCVBUF", bind);
            var (send, sendForced) = SetBuffer(handle, SO_SNDBUFFORCE, SO_SNDBUF, options.SendBufferBytes, "SO_SNDBUF", bind);

            bool gro = false;
            if (options.Gro)
            {
                int one = 1;
                gro = setsockopt(handle, SOL_UDP, UDP_GRO, &one, sizeof(int)) == 0;
                if (!gro)
                {
                    Log.OptionRefused(logger, "UDP_GRO", bind.ToString(), Errno.Describe(Errno.Last));
                }
            }

            bool gso = false;
            if (options.Gso)
            {
                // A kernel that knows UDP_SEGMENT answers getsockopt with the socket's default segment size (0).
                int size = 0;
                uint length = sizeof(int);
                gso = getsockopt(handle, SOL_UDP, UDP_SEGMENT, &size, &length) == 0;
                if (!gso)
                {
                    Log.OptionRefused(logger, "UDP_SEGMENT", bind.ToString(), Errno.Describe(Errno.Last));
                }
            }

            Span<byte> address = stackalloc byte[32];
            int addressLength = bind.WriteSockaddr(address, ipv6);
            fixed (byte* a = address)
            {
                if (Interop.Libc.bind(handle, a, (uint)addressLength) != 0)
                {
                    throw LinuxException.FromErrno(Errno.Last, $"bind({bind}){(options.ReusePort ? " with SO_REUSEPORT" : "")}");
                }

                address.Clear();
                uint boundLength = (uint)address.Length;
                if (getsockname(handle, a, &boundLength) != 0)
                {
                    throw LinuxException.FromErrno(Errno.Last, $"getsockname after bind({bind})");
                }
            }

            if (!UdpEndpoint.TryReadSockaddr(address, out UdpEndpoint local))
            {
                throw new LinuxException($"getsockname after bind({bind}) returned an address of family {BitConverter.ToUInt16(address)}");
            }

            var socket = new UdpSocket(handle, local, ipv6, ipv6 && !options.V6Only, gro, gso, new Buffers(receive, send, receiveForced && sendForced), logger);
            Log.Opened(logger, local.ToString(), gro, gso, receive, send, socket.BuffersForced ? "forced" : "capped by net.core.*mem_max");
            return socket;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static unsafe void SetMark(SafeFileDescriptor handle, uint mark, UdpEndpoint bind)
    {
        if (setsockopt(handle, SOL_SOCKET, SO_MARK, &mark, sizeof(uint)) != 0)
        {
            int errno = Errno.Last;
            string fix = errno == Errno.EPERM ? ": setting a firewall mark needs CAP_NET_ADMIN (run as root, or give the service AmbientCapabilities=CAP_NET_ADMIN)" : string.Empty;
            throw LinuxException.FromErrno(errno, $"setsockopt(SO_MARK=0x{mark:x}) on the UDP socket for {bind}{fix}");
        }
    }

    private static unsafe void SetInt(SafeFileDescriptor handle, int level, int option, int value, string name, UdpEndpoint bind)
    {
        if (setsockopt(handle, level, option, &value, sizeof(int)) != 0)
        {
            throw LinuxException.FromErrno(Errno.Last, $"setsockopt({name}={value}) on the UDP socket for {bind}");
        }
    }

    // FORCE first (past rmem_max/wmem_max; needs CAP_NET_ADMIN), the capped option when that is not allowed; then
    // read back what the kernel granted.
    private static unsafe (int Granted, bool Forced) SetBuffer(SafeFileDescriptor handle, int force, int plain, int bytes, string name, UdpEndpoint bind)
    {
        bool forced = false;
        if (bytes > 0)
        {
            forced = setsockopt(handle, SOL_SOCKET, force, &bytes, sizeof(int)) == 0;
            if (!forced)
            {
                int errno = Errno.Last;
                if (errno != Errno.EPERM)
                {
                    throw new LinuxException($"setsockopt({name}FORCE={bytes}) on the UDP socket for {bind}", errno);
                }

                SetInt(handle, SOL_SOCKET, plain, bytes, name, bind);
            }
        }

        int granted = 0;
        uint length = sizeof(int);
        if (getsockopt(handle, SOL_SOCKET, plain, &granted, &length) != 0)
        {
            throw LinuxException.FromErrno(Errno.Last, $"getsockopt({name}) on the UDP socket for {bind}");
        }

        return (granted, forced);
    }

    private readonly record struct Buffers(int Receive, int Send, bool Forced);

    private static partial class Log
    {
        [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "UDP socket {Local}: GRO {Gro}, GSO {Gso}, receive buffer {Receive} B, send buffer {Send} B ({Buffers})")]
        public static partial void Opened(ILogger logger, string local, bool gro, bool gso, int receive, int send, string buffers);

        [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "UDP socket {Local}: the kernel refused {Option} ({Error}); continuing without it")]
        public static partial void OptionRefused(ILogger logger, string option, string local, string error);

        [LoggerMessage(EventId = 603, Level = LogLevel.Debug, Message = "UDP {Local}: {Count} sockets share the port; a classic BPF program steers each flow to one of them and never to a socket another process adds")]
        public static partial void GroupOpened(ILogger logger, string local, int count);

        [LoggerMessage(EventId = 602, Level = LogLevel.Warning, Message = "UDP socket {Local}: the kernel refused a UDP GSO send ({Error}); this socket sends without segmentation offload from now on")]
        public static partial void GsoDisabled(ILogger logger, string local, string error);
    }
}
