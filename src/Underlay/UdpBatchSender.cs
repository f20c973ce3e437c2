using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Underlay.Internal;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay;

/// <summary>
/// Batches datagrams for one <see cref="UdpSocket"/> and sends them with <c>sendmmsg</c>. One thread at a time
/// (each runner lane owns one sender; several senders may share a socket).
/// <para>
/// <see cref="TryAdd(in UdpEndpoint, in UdpEndpoint, ReadOnlySpan{byte})"/> only records the datagram: its bytes
/// must be <b>pinned</b> memory that stays valid and unchanged until <see cref="Flush"/> (every buffer the router
/// passes around is a pinned array; the pointer is taken from the span, no handle per datagram). When the socket's
/// GSO is on, consecutive datagrams to the same destination from the same source with the same length (the last of
/// a run may be shorter) become one <c>UDP_SEGMENT</c> message of up to <see cref="MaxSegments"/> segments and 64 KiB
/// (65507 payload bytes over IPv4, 65527 over IPv6); the kernel (or the NIC) cuts it back into those datagrams.
/// </para>
/// <para>
/// <see cref="Flush"/> sends everything: <c>sendmmsg</c> in a loop (a partial send continues with the rest, EINTR
/// is retried). Per-datagram failures are counted by reason, never thrown. A message the kernel refuses as a whole
/// is retried in a simpler form: a GSO message refused with EIO (the path cannot segment; GSO is then turned off
/// for the socket, logged once), EINVAL or EMSGSIZE is resent one datagram at a time; a message with a source
/// address refused with EINVAL, EADDRNOTAVAIL (IPv6) or ENETUNREACH (IPv4: what Linux answers for a source that
/// is not local, e.g. an address that was removed) is resent with the kernel's choice of source (counted in
/// <see cref="SourceFallbacks"/>; a destination that is unreachable anyway fails again and is counted).
/// </para>
/// </summary>
public sealed unsafe class UdpBatchSender
{
    /// <summary>
    /// The most datagrams one <c>UDP_SEGMENT</c> message carries: the kernel's <c>UDP_MAX_SEGMENTS</c> of every kernel
    /// with UDP GSO (newer ones take 128).
    /// </summary>
    public const int MaxSegments = 64;

    private const int MaxIPv4Payload = 65535 - 20 - 8;
    private const int MaxIPv6Payload = 65535 - 8;
    private const int NameSpace = 32;

    private readonly UdpSocket _socket;
    private readonly bool _ipv6Socket;
    private readonly int _capacity;
    private readonly int _controlSpace;
    private readonly iovec* _iov;
    private readonly mmsghdr* _messages;
    private readonly mmsghdr* _singles;
    private readonly byte* _names;
    private readonly byte* _controls;
    private readonly Message[] _state;

    // The pinned arrays the pointers above point into, referenced so they live as long as the sender.
    private readonly object[] _pins;
    private readonly SendmmsgCall? _sendmmsg;
    private int _datagrams;
    private int _messageCount;
    private int _noDestination;

    /// <summary>A sender for up to <paramref name="maxDatagrams"/> datagrams per <see cref="Flush"/>.</summary>
    public UdpBatchSender(UdpSocket socket, int maxDatagrams)
        : this(socket, maxDatagrams, null)
    {
    }

    /// <summary>For tests: <paramref name="sendmmsg"/> stands in for libc's <c>sendmmsg</c>.</summary>
    internal UdpBatchSender(UdpSocket socket, int maxDatagrams, SendmmsgCall? sendmmsg)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagrams, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDatagrams, UdpReceiveQueue.MaxBatchCapacity);
        _socket = socket;
        _ipv6Socket = socket.IsIPv6;
        _capacity = maxDatagrams;
        _controlSpace = ControlMessages.SendSpace;
        _sendmmsg = sendmmsg;
        iovec[] iov = GC.AllocateArray<iovec>(maxDatagrams, pinned: true);
        mmsghdr[] messages = GC.AllocateArray<mmsghdr>(maxDatagrams, pinned: true);
        mmsghdr[] singles = GC.AllocateArray<mmsghdr>(MaxSegments, pinned: true);
        byte[] names = GC.AllocateArray<byte>(NameSpace * maxDatagrams, pinned: true);
        byte[] controls = GC.AllocateArray<byte>(_controlSpace * maxDatagrams, pinned: true);
        _pins = [iov, messages, singles, names, controls];
        _iov = (iovec*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(iov));
        _messages = (mmsghdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(messages));
        _singles = (mmsghdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(singles));
        _names = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(names));
        _controls = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(controls));
        _state = new Message[maxDatagrams];
    }

    /// <summary>libc's <c>sendmmsg</c>, or a test's stand-in for it.</summary>
    internal delegate int SendmmsgCall(SafeFileDescriptor sockfd, mmsghdr* msgvec, uint vlen, int flags);

    /// <summary>The socket this sender sends on.</summary>
    public UdpSocket Socket => _socket;

    /// <summary>Datagrams queued and not yet flushed.</summary>
    public int Pending => _datagrams + _noDestination;

    /// <summary>How many datagrams one flush can carry.</summary>
    public int Capacity => _capacity;

    /// <summary>Datagrams the kernel accepted, over the sender's life.</summary>
    public long DatagramsSent { get; private set; }

    /// <summary>Messages handed to the kernel (each one datagram, or one GSO run), over the sender's life.</summary>
    public long MessagesSent { get; private set; }

    /// <summary>Accepted <c>UDP_SEGMENT</c> messages carrying more than one datagram.</summary>
    public long GsoMessagesSent { get; private set; }

    /// <summary>GSO messages the kernel refused as a whole and that were resent one datagram at a time.</summary>
    public long GsoFallbacks { get; private set; }

    /// <summary>Messages resent with the kernel's choice of source after their source address was refused.</summary>
    public long SourceFallbacks { get; private set; }

    /// <summary>
    /// Queues a datagram to <paramref name="destination"/> from the kernel's choice of source. See
    /// <see cref="TryAdd(in UdpEndpoint, in UdpEndpoint, ReadOnlySpan{byte})"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryAdd(in UdpEndpoint destination, ReadOnlySpan<byte> pinnedDatagram) =>
        TryAdd(destination, UdpEndpoint.None, pinnedDatagram);

    /// <summary>
    /// Queues a datagram to <paramref name="destination"/>, leaving from the local address of
    /// <paramref name="source"/> (its port is ignored; <see cref="UdpEndpoint.None"/>: the kernel chooses; a source
    /// of the other family than the destination is ignored too). The bytes must be pinned and stay valid until
    /// <see cref="Flush"/>. Returns false when the sender is full: flush and add again.
    /// </summary>
    public bool TryAdd(in UdpEndpoint destination, in UdpEndpoint source, ReadOnlySpan<byte> pinnedDatagram)
    {
        if (_datagrams == _capacity)
        {
            return false;
        }

        if (destination.IsNone)
        {
            // A caller's slip, not packet data: counted at the flush, like any datagram that could not be sent.
            _noDestination++;
            return true;
        }

        int length = pinnedDatagram.Length;
        UdpEndpoint from = source.IsNone || source.IsIPv6 != destination.IsIPv6 ? UdpEndpoint.None : source;
        if (_messageCount > 0)
        {
            ref Message run = ref _state[_messageCount - 1];
            if (run.Open && length > 0 && length <= run.SegmentSize && run.Count < MaxSegments
                && run.Bytes + length <= (destination.IsIPv6 ? MaxIPv6Payload : MaxIPv4Payload)
                && run.Destination.Equals(destination) && run.Source.Equals(from) && _socket.GsoEnabled)
            {
                run.Count++;
                run.Bytes += length;
                run.Open = length == run.SegmentSize;
                AddIov(pinnedDatagram);
                return true;
            }
        }

        ref Message next = ref _state[_messageCount++];
        next.First = _datagrams;
        next.Count = 1;
        next.SegmentSize = length;
        next.Bytes = length;
        next.Open = length > 0 && length <= ushort.MaxValue;
        next.Destination = destination;
        next.Source = from;
        AddIov(pinnedDatagram);
        return true;
    }

    /// <summary>
    /// Sends everything queued. Datagrams the kernel refuses are counted in <paramref name="drops"/> by reason
    /// (<see cref="UnderlayDropReasons"/>); returns how many datagrams were sent. Never throws for a send error.
    /// </summary>
    public int Flush(DropTally drops)
    {
        ArgumentNullException.ThrowIfNull(drops);
        int sent = 0;
        if (_noDestination != 0)
        {
            drops.Add(UnderlayDropReasons.SendNoDestination, _noDestination);
            _noDestination = 0;
        }

        for (int j = 0; j < _messageCount; j++)
        {
            Build(j, _messages + j, gso: true);
        }

        int i = 0;
        while (i < _messageCount)
        {
            int r = SendmmsgCore(_messages + i, (uint)(_messageCount - i));
            if (r > 0)
            {
                for (int k = i; k < i + r; k++)
                {
                    int datagrams = _state[k].Count;
                    Accepted(datagrams);
                    sent += datagrams;
                }

                i += r;
                continue;
            }

            int errno = r == 0 ? Errno.EAGAIN : Errno.Last;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            ref Message message = ref _state[i];
            if (message.Count > 1 && errno is Errno.EIO or Errno.EINVAL or Errno.EMSGSIZE)
            {
                if (errno == Errno.EIO)
                {
                    _socket.DisableGso(errno);
                }

                GsoFallbacks++;
                sent += SendOneByOne(i, drops);
            }
            else if (!message.Source.IsNone && IsSourceRefusal(errno))
            {
                // The source address is not local (any more): let the kernel choose, and try this message again.
                SourceFallbacks++;
                message.Source = UdpEndpoint.None;
                Build(i, _messages + i, gso: true);
                continue;
            }
            else
            {
                drops.Add(ReasonFor(errno), message.Count);
            }

            i++;
        }

        _datagrams = 0;
        _messageCount = 0;
        return sent;
    }

    /// <summary>The drop reason for a send errno.</summary>
    internal static DropReason ReasonFor(int errno) => errno switch
    {
        Errno.ECONNREFUSED => UnderlayDropReasons.SendRefused,
        Errno.EHOSTUNREACH or Errno.EHOSTDOWN => UnderlayDropReasons.SendHostUnreachable,
        Errno.ENETUNREACH or Errno.ENETDOWN => UnderlayDropReasons.SendNetworkUnreachable,
        Errno.EMSGSIZE => UnderlayDropReasons.SendTooLarge,
        Errno.EAGAIN => UnderlayDropReasons.SendWouldBlock,
        Errno.ENOBUFS or Errno.ENOMEM => UnderlayDropReasons.SendNoBuffers,
        Errno.EACCES or Errno.EPERM => UnderlayDropReasons.SendProhibited,
        Errno.EAFNOSUPPORT => UnderlayDropReasons.SendAddressFamily,
        Errno.EADDRNOTAVAIL => UnderlayDropReasons.SendAddressUnavailable,
        Errno.EINVAL => UnderlayDropReasons.SendInvalid,
        _ => UnderlayDropReasons.SendFailed,
    };

    private static bool IsSourceRefusal(int errno) => errno is Errno.EINVAL or Errno.EADDRNOTAVAIL or Errno.ENETUNREACH;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void AddIov(ReadOnlySpan<byte> datagram)
    {
        _iov[_datagrams++] = new iovec
        {
            iov_base = Unsafe.AsPointer(ref MemoryMarshal.GetReference(datagram)),
            iov_len = (nuint)datagram.Length,
        };
    }

    // Fills a message header for message j: destination, its datagrams (one, or a run with UDP_SEGMENT when gso),
    // and the source pktinfo first in the control buffer so a single-datagram resend can reuse it alone.
    private void Build(int j, mmsghdr* target, bool gso)
    {
        ref Message message = ref _state[j];
        byte* name = _names + (j * NameSpace);
        int nameLength = message.Destination.WriteSockaddr(new Span<byte>(name, NameSpace), _ipv6Socket);
        byte* control = _controls + (j * _controlSpace);
        var controlSpan = new Span<byte>(control, _controlSpace);
        int sourceLength = ControlMessages.WriteSource(controlSpan, message.Source, _ipv6Socket);
        int controlLength = sourceLength;
        if (gso && message.Count > 1)
        {
            controlLength += ControlMessages.WriteSegmentSize(controlSpan[sourceLength..], (ushort)message.SegmentSize);
        }

        target->msg_hdr.msg_name = name;
        target->msg_hdr.msg_namelen = (uint)nameLength;
        target->msg_hdr.msg_iov = _iov + message.First;
        target->msg_hdr.msg_iovlen = (nuint)(gso ? message.Count : 1);
        target->msg_hdr.msg_control = controlLength > 0 ? control : null;
        target->msg_hdr.msg_controllen = (nuint)controlLength;
        target->msg_hdr.msg_flags = 0;
        target->msg_len = 0;
    }

    // Resends the datagrams of message j as single-datagram messages (same destination and source, no UDP_SEGMENT).
    private int SendOneByOne(int j, DropTally drops)
    {
        ref Message message = ref _state[j];
        int count = message.Count;
        Build(j, _singles, gso: false);
        for (int k = 1; k < count; k++)
        {
            _singles[k] = _singles[0];
            _singles[k].msg_hdr.msg_iov = _iov + message.First + k;
        }

        int sent = 0;
        int i = 0;
        while (i < count)
        {
            int r = SendmmsgCore(_singles + i, (uint)(count - i));
            if (r > 0)
            {
                for (int k = 0; k < r; k++)
                {
                    Accepted(1);
                }

                sent += r;
                i += r;
                continue;
            }

            int errno = r == 0 ? Errno.EAGAIN : Errno.Last;
            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (_singles[i].msg_hdr.msg_controllen != 0 && IsSourceRefusal(errno))
            {
                SourceFallbacks++;
                for (int k = i; k < count; k++)
                {
                    _singles[k].msg_hdr.msg_control = null;
                    _singles[k].msg_hdr.msg_controllen = 0;
                }

                continue;
            }

            drops.Add(ReasonFor(errno));
            i++;
        }

        return sent;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Accepted(int datagrams)
    {
        MessagesSent++;
        DatagramsSent += datagrams;
        if (datagrams > 1)
        {
            GsoMessagesSent++;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SendmmsgCore(mmsghdr* messages, uint count) =>
        _sendmmsg is null ? sendmmsg(_socket.Handle, messages, count, 0) : _sendmmsg(_socket.Handle, messages, count, 0);

    /// <summary>One message being built: a single datagram or a GSO run of them.</summary>
    private struct Message
    {
        public int First;
        public int Count;
        public int SegmentSize;
        public int Bytes;

        // Whether the next datagram may join the run (every datagram so far had exactly SegmentSize bytes).
        public bool Open;
        public UdpEndpoint Destination;
        public UdpEndpoint Source;
    }
}
