using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Underlay.Internal;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Underlay;

/// <summary>
/// A stage's packet source over one <see cref="UdpSocket"/> (one of an <see cref="IStageSource"/>'s readers; it only reads: what the stage sends leaves by
/// <see cref="UdpBatchSender"/>).
/// <para>
/// <see cref="Read"/> drains up to a batch of datagrams with one <c>recvmmsg</c> (<c>MSG_DONTWAIT</c>) into a
/// pinned slab allocated once, one slot per datagram, and blocks in <c>poll</c> on the socket and a close eventfd
/// only when the socket is empty. Each datagram becomes one <see cref="Packet"/> whose window is the UDP payload,
/// with <c>headroom</c> bytes before it and <c>tailroom</c> after it inside its slot.
/// </para>
/// <para>
/// With <c>UDP_GRO</c> a read may carry a run of datagrams of one flow coalesced (the <c>UDP_GRO</c> control message
/// gives the segment size; every segment but the last has exactly that size). It is split into one packet per
/// segment, each a window on the same slot: the first segment has the slot's headroom, the last the slot's
/// tailroom, and every other edge 0 — a segment's buffer ends where the next one starts, so writing into a packet's
/// headroom or tailroom never clobbers its neighbour. (In-place decryption needs neither: plaintext is shorter than
/// ciphertext; the 16-byte WireGuard header a stage strips becomes headroom.)
/// </para>
/// <para>
/// <see cref="Packet.SourceSlot"/> is the datagram's slot index, shared by all segments of one coalesced read;
/// <see cref="Source"/> and <see cref="Destination"/> resolve it until the next <see cref="Read"/>. When a coalesced
/// read has more segments than the batch has room for, the rest are delivered by the next Read (which then reads
/// nothing new, so the slots stay valid).
/// </para>
/// Datagrams that cannot become packets are counted in <see cref="PacketBatch.ReadDrops"/> by reason (see
/// <see cref="UnderlayDropReasons"/>). The queue does not own the socket: dispose the socket after the queue.
/// </summary>
public sealed unsafe class UdpReceiveQueue : IPacketReader
{
    /// <summary>The default slot size: the largest UDP payload, so nothing is truncated and GRO reads fit.</summary>
    public const int DefaultDatagramBytes = 65535;

    /// <summary>The most datagrams one <c>recvmmsg</c> takes (the kernel's <c>UIO_MAXIOV</c>).</summary>
    public const int MaxBatchCapacity = 1024;

    private const int NameSpace = 32;

    private UdpSocket _socket;
    private UdpSocket _reading;
    private readonly CloseSignal _closing = new();
    private readonly int _entries;
    private readonly int _headroom;
    private readonly int _tailroom;
    private readonly int _slotStride;
    private ushort _localPort;
    private readonly Memory<byte> _slab;
    private readonly mmsghdr* _messages;
    private readonly byte* _names;
    private readonly byte* _control;
    private readonly UdpEndpoint[] _sources;
    private readonly UdpEndpoint[] _destinations;
    private readonly int[] _segmentSizes;
    private readonly long[] _receivedNs;

    // The pinned arrays the pointers above point into, referenced so they live as long as the queue.
    private readonly object[] _pins;
    private int _received;
    private int _next;
    private int _segment;
    private int _dirty;
    private int _wakeWanted;
    private long _readNs;

    /// <summary>A queue whose slots take datagrams of up to <see cref="DefaultDatagramBytes"/>.</summary>
    /// <param name="socket">The socket to read.</param>
    /// <param name="index">The queue's index among the stage's sources.</param>
    /// <param name="batchCapacity">Datagrams per <c>recvmmsg</c> (1 to <see cref="MaxBatchCapacity"/>).</param>
    /// <param name="headroom">Bytes reserved before each datagram.</param>
    /// <param name="tailroom">Bytes reserved after each datagram.</param>
    public UdpReceiveQueue(UdpSocket socket, int index, int batchCapacity, int headroom, int tailroom)
        : this(socket, index, batchCapacity, headroom, tailroom, DefaultDatagramBytes)
    {
    }

    /// <summary>
    /// A queue whose slots take datagrams of up to <paramref name="maxDatagramBytes"/>; a larger one is
    /// dropped as <see cref="UnderlayDropReasons.Truncated"/>. With GRO on, keep the default: a coalesced read
    /// needs up to 64 KiB.
    /// </summary>
    /// <param name="socket">The socket to read.</param>
    /// <param name="index">The queue's index among the stage's sources.</param>
    /// <param name="batchCapacity">Datagrams per <c>recvmmsg</c> (1 to <see cref="MaxBatchCapacity"/>).</param>
    /// <param name="headroom">Bytes reserved before each datagram.</param>
    /// <param name="tailroom">Bytes reserved after each datagram.</param>
    /// <param name="maxDatagramBytes">The slot size (1 to 65535).</param>
    public UdpReceiveQueue(UdpSocket socket, int index, int batchCapacity, int headroom, int tailroom, int maxDatagramBytes)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchCapacity, MaxBatchCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(headroom);
        ArgumentOutOfRangeException.ThrowIfNegative(tailroom);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDatagramBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDatagramBytes, DefaultDatagramBytes);
        _socket = socket;
        _reading = socket;
        Index = index;
        _entries = batchCapacity;
        _headroom = headroom;
        _tailroom = tailroom;
        DatagramBytes = maxDatagramBytes;
        _localPort = socket.LocalEndpoint.Port;
        _slotStride = (headroom + maxDatagramBytes + tailroom + 63) & ~63;

        byte[] slab = GC.AllocateArray<byte>(checked(_slotStride * batchCapacity), pinned: true);
        mmsghdr[] messages = GC.AllocateArray<mmsghdr>(batchCapacity, pinned: true);
        iovec[] iov = GC.AllocateArray<iovec>(batchCapacity, pinned: true);
        byte[] names = GC.AllocateArray<byte>(NameSpace * batchCapacity, pinned: true);
        byte[] control = GC.AllocateArray<byte>(ControlMessages.ReceiveSpace * batchCapacity, pinned: true);
        _pins = [slab, messages, iov, names, control];
        _slab = slab;
        byte* slabBase = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slab));
        _messages = (mmsghdr*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(messages));
        iovec* iovBase = (iovec*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(iov));
        _names = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(names));
        _control = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(control));
        for (int i = 0; i < batchCapacity; i++)
        {
            iovBase[i] = new iovec { iov_base = slabBase + (i * _slotStride) + headroom, iov_len = (nuint)maxDatagramBytes };
            _messages[i].msg_hdr.msg_name = _names + (i * NameSpace);
            _messages[i].msg_hdr.msg_iov = iovBase + i;
            _messages[i].msg_hdr.msg_iovlen = 1;
            _messages[i].msg_hdr.msg_control = _control + (i * ControlMessages.ReceiveSpace);
            _messages[i].msg_hdr.msg_namelen = NameSpace;
            _messages[i].msg_hdr.msg_controllen = ControlMessages.ReceiveSpace;
        }

        _sources = new UdpEndpoint[batchCapacity];
        _destinations = new UdpEndpoint[batchCapacity];
        _segmentSizes = new int[batchCapacity];
        _receivedNs = new long[batchCapacity];
        Timestamps = EnableTimestamps(socket);
    }

    /// <inheritdoc />
    public int Index { get; }

    /// <summary>The socket this queue reads.</summary>
    public UdpSocket Socket => Volatile.Read(ref _socket);

    /// <summary>The largest datagram a slot takes.</summary>
    public int DatagramBytes { get; }

    /// <summary>Datagrams (coalesced reads count once) received.</summary>
    public long DatagramsReceived { get; private set; }

    /// <summary>Received datagrams that were GRO-coalesced runs of more than one segment.</summary>
    public long CoalescedDatagrams { get; private set; }

    /// <summary>Packets delivered (one per datagram, or per segment of a coalesced one).</summary>
    public long PacketsDelivered { get; private set; }

    /// <summary>
    /// Whether the socket gives kernel receive timestamps (<c>SO_TIMESTAMPNS</c>), so <see cref="SojournNs"/> measures;
    /// false when the kernel refused the option (then every sojourn is 0).
    /// </summary>
    public bool Timestamps { get; private set; }

    /// <summary>The longest sojourn (<see cref="SojournNs"/>) of any datagram read so far, in nanoseconds.</summary>
    public long MaxSojournNs { get; private set; }

    /// <summary>
    /// Empties <paramref name="batch"/> and fills it with the datagrams (or GRO segments) the socket has, waiting
    /// while it has none; returns it empty when <see cref="Wake"/> was called while the socket had nothing. Returns
    /// false once <see cref="Close"/> was called.
    /// </summary>
    public bool Read(PacketBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.Clear();
        while (true)
        {
            if (_next < _received)
            {
                Deliver(batch);
                if (batch.Count > 0 || batch.ReadDrops.Total > 0)
                {
                    return true;
                }

                continue;
            }

            if (_closing.IsClosed)
            {
                return false;
            }

            UdpSocket socket = Volatile.Read(ref _socket);
            if (!ReferenceEquals(socket, _reading))
            {
                // Rebound (see Rebind): from here on the new socket is read, and its port is ours.
                _reading = socket;
                _localPort = socket.LocalEndpoint.Port;
            }

            int wanted = Math.Min(_entries, batch.Capacity);
            PrepareEntries();
            int n = recvmmsg(socket.Handle, _messages, (uint)wanted, MSG_DONTWAIT, null);
            if (n > 0)
            {
                _readNs = Timestamps ? RealtimeNs() : 0;
                _received = n;
                _next = 0;
                _segment = 0;
                _dirty = n;
                DatagramsReceived += n;
                continue;
            }

            int errno = n == 0 ? Errno.EAGAIN : Errno.Last;
            if (errno == Errno.EAGAIN)
            {
                if (TakeWake())
                {
                    return true; // nothing read: the lane ends a batch anyway (see Wake)
                }

                if (!WaitReadable(socket))
                {
                    if (_closing.IsClosed)
                    {
                        return false;
                    }

                    // Woken, not closed (Close sets the flag before it signals; the loop checks it before every wait).
                    _closing.Event.Reset();
                    if (TakeWake())
                    {
                        return true;
                    }
                }

                continue;
            }

            if (errno == Errno.EINTR)
            {
                continue;
            }

            if (IsSocketError(errno))
            {
                // A pending error on the socket (recvmmsg returns it instead of a datagram, once).
                batch.ReadDrops.Add(UnderlayDropReasons.ReceiveError);
                return true;
            }

            throw new LinuxException($"recvmmsg on UDP socket {socket.LocalEndpoint} (source queue {Index})", errno);
        }
    }

    /// <summary>
    /// How long the datagram with this <see cref="Packet.SourceSlot"/> waited in the socket's receive buffer, in
    /// nanoseconds: from the kernel's receive timestamp to the <c>recvmmsg</c> that took it (valid until the next
    /// <see cref="Read"/>; every segment of a coalesced read shares its datagram's). 0 without timestamps. The input of
    /// an AQM: a sojourn that stays high is a standing queue in front of the stage.
    /// </summary>
    public long SojournNs(uint mark)
    {
        long received = mark < (uint)_receivedNs.Length ? _receivedNs[mark] : 0;
        return received == 0 || _readNs <= received ? 0 : _readNs - received;
    }

    /// <summary>Who sent the datagram with this <see cref="Packet.SourceSlot"/> (valid until the next <see cref="Read"/>).</summary>
    public ref readonly UdpEndpoint Source(uint mark) => ref _sources[mark];

    /// <summary>
    /// The local address (and port) the datagram with this <see cref="Packet.SourceSlot"/> was sent to, from
    /// <c>IP_PKTINFO</c> / <c>IPV6_PKTINFO</c>: send the reply from it (as the source given to
    /// <see cref="UdpBatchSender.TryAdd(in UdpEndpoint, in UdpEndpoint, ReadOnlySpan{byte})"/>) and the peer sees
    /// the address it used. A link-local address carries its interface as scope id.
    /// </summary>
    public ref readonly UdpEndpoint Destination(uint mark) => ref _destinations[mark];

    /// <summary>
    /// Moves the queue to <paramref name="socket"/> (a listen port changed while the router runs): the reader takes it
    /// from its next round on, and the old socket is shut for reading, which wakes a reader waiting on it (the kernel
    /// reports a shut socket readable). The caller owns both sockets and disposes the old one once no thread can be
    /// using it any more. Thread-safe with <see cref="Read"/>.
    /// </summary>
    public void Rebind(UdpSocket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        UdpSocket old = Interlocked.Exchange(ref _socket, socket);
        if (!ReferenceEquals(old, socket))
        {
            Timestamps = EnableTimestamps(socket);

            // ENOTCONN for an unconnected UDP socket, yet the shutdown is recorded and the waiters are woken.
            _ = shutdown(old.Handle, SHUT_RD);
        }
    }

    /// <summary>
    /// Wakes the reader: a <see cref="Read"/> blocked (or about to block) on an empty socket returns true with an empty
    /// batch, once, so the runner's lane ends a batch — how a stage's own thread has a lane send what it handed it
    /// (see <see cref="IStageSource"/>). Wakes that come together may be served by one empty read. Thread-safe.
    /// </summary>
    public void Wake()
    {
        if (Interlocked.Exchange(ref _wakeWanted, 1) == 0)
        {
            _closing.Event.Signal();
        }
    }

    /// <summary>Wakes a blocked <see cref="Read"/>, which returns false, as does every later one. Thread-safe.</summary>
    public void Close() => _closing.Close();

    /// <summary>Closes the queue and releases its eventfd; the socket stays open (its owner disposes it).</summary>
    public void Dispose()
    {
        if (!_closing.TryBeginDispose())
        {
            return;
        }

        _closing.Dispose();
    }

    // A wake was asked for: clear it, then drain the eventfd (a wake in between leaves the flag set: one more empty read).
    private bool TakeWake()
    {
        if (Volatile.Read(ref _wakeWanted) == 0 || Interlocked.Exchange(ref _wakeWanted, 0) == 0)
        {
            return false;
        }

        _closing.Event.Reset();
        return true;
    }

    // The kernel rewrites msg_namelen, msg_controllen and msg_flags of the entries it filled; restore them.
    private void PrepareEntries()
    {
        for (int i = 0; i < _dirty; i++)
        {
            ref msghdr header = ref _messages[i].msg_hdr;
            header.msg_namelen = NameSpace;
            header.msg_controllen = ControlMessages.ReceiveSpace;
            header.msg_flags = 0;
        }

        _dirty = 0;
    }

    private void Deliver(PacketBatch batch)
    {
        while (_next < _received && !batch.IsFull)
        {
            int i = _next;
            if (_segment == 0 && !Decode(i, batch.ReadDrops))
            {
                _next++;
                continue;
            }

            int length = (int)_messages[i].msg_len;
            int segmentSize = _segmentSizes[i];
            int payload = (i * _slotStride) + _headroom;
            while (!batch.IsFull)
            {
                int start = _segment * segmentSize;
                int size = Math.Min(segmentSize, length - start);
                bool first = start == 0;
                bool last = start + size == length;
                int before = first ? _headroom : 0;
                int after = last ? _tailroom : 0;
                ref Packet p = ref batch.Append(_slab.Slice(payload + start - before, before + size + after), before, size);
                p.SourceSlot = (ushort)i;
                PacketsDelivered++;
                _segment++;
                if (last)
                {
                    if (_segment > 1)
                    {
                        CoalescedDatagrams++;
                    }

                    _segment = 0;
                    _next++;
                    break;
                }
            }
        }
    }

    // Checks one received entry and records its endpoints and segment size; false (counted) when it is dropped.
    private bool Decode(int i, DropTally drops)
    {
        ref mmsghdr message = ref _messages[i];
        int flags = message.msg_hdr.msg_flags;
        int length = (int)message.msg_len;
        if ((flags & MSG_TRUNC) != 0)
        {
            drops.Add(UnderlayDropReasons.Truncated);
            return false;
        }

        if ((flags & MSG_CTRUNC) != 0)
        {
            drops.Add(UnderlayDropReasons.ControlTruncated);
            return false;
        }

        if (length <= 0)
        {
            drops.Add(UnderlayDropReasons.Empty);
            return false;
        }

        int nameLength = (int)Math.Min(message.msg_hdr.msg_namelen, NameSpace);
        if (!UdpEndpoint.TryReadSockaddr(new ReadOnlySpan<byte>(_names + (i * NameSpace), nameLength), out _sources[i]))
        {
            drops.Add(UnderlayDropReasons.BadSource);
            return false;
        }

        int controlLength = (int)Math.Min(message.msg_hdr.msg_controllen, (nuint)ControlMessages.ReceiveSpace);
        var control = new ReadOnlySpan<byte>(_control + (i * ControlMessages.ReceiveSpace), controlLength);
        DropReason refused = ControlMessages.Decode(control, _localPort, out _destinations[i], out int groSize, out _receivedNs[i]);
        if (!refused.IsNone)
        {
            drops.Add(refused);
            return false;
        }

        _segmentSizes[i] = groSize > 0 && groSize < length ? groSize : length;
        long sojourn = SojournNs((uint)i);
        if (sojourn > MaxSojournNs)
        {
            MaxSojournNs = sojourn;
        }

        return true;
    }

    /// <summary>Asks the kernel to timestamp each datagram (<c>SO_TIMESTAMPNS</c>); false when it refuses (then no sojourns).</summary>
    private static bool EnableTimestamps(UdpSocket socket)
    {
        int one = 1;
        return setsockopt(socket.Handle, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(int)) == 0;
    }

    /// <summary><c>CLOCK_REALTIME</c> in nanoseconds since the Unix epoch (the clock of the kernel's receive timestamps).</summary>
    private static long RealtimeNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private static bool IsSocketError(int errno) =>
        errno is Errno.ECONNREFUSED or Errno.EHOSTUNREACH or Errno.ENETUNREACH or Errno.EHOSTDOWN or Errno.ENETDOWN
            or Errno.ECONNRESET or Errno.EMSGSIZE or Errno.ENOMEM or Errno.ENOBUFS;

    /// <summary>Blocks until the socket has something to read (true) or the queue is closed (false).</summary>
    private bool WaitReadable(UdpSocket socket)
    {
        Readiness wait = ReadinessWait.Wait(socket.Handle, _closing.Event, ReadinessWait.Infinite);
        if (wait.Outcome == ReadinessOutcome.Failed)
        {
            throw LinuxException.FromErrno(wait.ErrorNumber, $"poll on UDP socket {socket.LocalEndpoint} (source queue {Index})");
        }

        if (wait.Outcome == ReadinessOutcome.Closed || _closing.IsClosed)
        {
            return false;
        }

        // POLLERR is something to read here: recvmmsg returns the socket's pending error, which Read counts as a drop.
        if (wait.Outcome == ReadinessOutcome.Readable || (wait.Events & POLLERR) != 0)
        {
            return true;
        }

        // Error with POLLHUP or POLLNVAL: without a timeout the wait never times out.
        throw new LinuxException($"UDP socket {socket.LocalEndpoint} (source queue {Index}) reported poll events 0x{wait.Events:x} (closed under its reader?)");
    }
}
