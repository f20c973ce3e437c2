using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Packets;
using RouterHost.Samples.AfPacket.Interop;
using static RouterHost.Samples.AfPacket.Interop.PacketSocketAbi;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// One queue of an AF_PACKET interface: one socket of the interface's fanout group, its TPACKET_V3 ring, and two send
/// paths.
/// <para>
/// Read: gives back the blocks the last batch borrowed, walks the ring's ready blocks, and hands the router IP packets
/// addressed to this device's MAC (borrowed from the ring, no copy; superpackets marked from the virtio-net header).
/// ARP and neighbour discovery messages teach the <see cref="NeighbourTable"/>; frames for the kernel (its own addresses, broadcast, multicast,
/// other protocols) are left to it — it received them too. Blocks in <c>poll</c> (with the close eventfd) only when the
/// block it waits for is still the kernel's. About once a second it reads PACKET_STATISTICS and counts the kernel's drops.
/// </para>
/// <para>
/// Write / WriteFromSelf: resolve the next hop's MAC (an ARP request or a neighbour solicitation on a miss: the packet is dropped and counted while it is
/// unresolved), copy virtio-net header, Ethernet header and packet into the path's buffer; the write path sends with one
/// <c>sendmmsg</c> at <see cref="Flush"/>, the self path at once. With offloads on it takes TCP and UDP superpackets whole
/// (<see cref="AcceptsGso"/>): the kernel segments them, or passes them on whole to a device that can.
/// </para>
/// </summary>
internal sealed unsafe class AfPacketQueue : IQueue, IGsoWriter
{
    private const long StatisticsIntervalMilliseconds = 1000;
    private const int IdlePollMilliseconds = 1000;

    private readonly PacketRingSocket _socket;
    private readonly RxRing _ring;
    private readonly Memory<byte> _ringMemory;
    private readonly int _ringLength;
    private readonly SafeFd _closeEvent;
    private readonly NeighbourTable _neighbours;
    private readonly INextHopTable? _nextHops;
    private readonly LocalAddresses _local;
    private readonly (uint Address, uint Mask)[] _prefixes;
    private readonly (UInt128 Address, UInt128 Mask)[] _prefixes6;
    private readonly UInt128 _linkLocal;
    private readonly ulong _mac;
    private readonly int _mtu;
    private readonly bool _offloads;
    private readonly int _vnetLength;
    private readonly string _where;
    private readonly TxBatch _writePath;
    private readonly TxBatch _selfPath;
    private long _nextStatistics;
    private volatile bool _closed;
    private int _disposed;

    public AfPacketQueue(
        int index, PacketRingSocket socket, AfPacketSettings settings, Device device, LocalAddresses local, UInt128 linkLocal, NeighbourTable neighbours,
        INextHopTable? nextHops, int batchSize, string interfaceName)
    {
        Index = index;
        _socket = socket;
        _ringLength = settings.BlockSize * settings.BlockCount;
        _ring = new RxRing(socket.Ring.Pointer, settings.BlockSize, settings.BlockCount);
        _ringMemory = new RingMemory(socket.Ring.Pointer, _ringLength).Memory;
        _neighbours = neighbours;
        _nextHops = nextHops;
        _local = local;
        _prefixes = device.IPv4Prefixes;
        _prefixes6 = device.IPv6Prefixes;
        _linkLocal = linkLocal;
        _mac = device.Mac;
        _mtu = device.Mtu;
        _offloads = settings.Offloads;
        _vnetLength = settings.Offloads ? VirtioNetHeader.Length : 0;
        _where = $"interface '{interfaceName}' (device '{device.Name}') queue {index}";
        int largest = _vnetLength + Ethernet.HeaderLength + 65535;
        _writePath = new TxBatch(2 * batchSize, Math.Max(batchSize * 2048, 2 * largest));
        _selfPath = new TxBatch(2, 2 * largest);
        int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"{_where}: eventfd");
        }

        _closeEvent = new SafeFd(fd);
    }

    /// <inheritdoc />
    public int Index { get; }

    /// <summary>ARP requests this queue sent.</summary>
    public long ArpRequests { get; private set; }

    /// <summary>Neighbour solicitations this queue sent.</summary>
    public long Solicitations { get; private set; }

    /// <summary>Frames this queue left to the kernel (its own addresses, broadcast, multicast, other protocols).</summary>
    public long LeftToHost { get; private set; }

    /// <inheritdoc />
    public bool AcceptsGso(GsoType type) => _offloads && type is GsoType.TcpV4 or GsoType.TcpV6 or GsoType.UdpL4;

    /// <inheritdoc />
    public bool Read(PacketBatch batch)
    {
        batch.Clear();
        _ring.ReleaseWalked();
        while (!_closed)
        {
            while (!batch.IsFull && _ring.TryNext(out long frame, out int span))
            {
                Receive(batch, frame, span);
            }

            if (_ring.Abandoned != 0)
            {
                batch.ReadDrops.Add(AfPacketDropReasons.Runt, _ring.Abandoned);
                _ring.Abandoned = 0;
            }

            CountKernelDrops(batch.ReadDrops);
            if (batch.Count > 0)
            {
                return true;
            }

            // Nothing for the router (ARP or the kernel's frames only): those blocks go back now, then wait.
            _ring.ReleaseWalked();
            if (!_ring.CurrentBlockReady && !Wait())
            {
                return false;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public DropReason Write(in Packet packet) => Stage(_writePath, in packet);

    /// <inheritdoc />
    public DropReason WriteFromSelf(in Packet packet)
    {
        DropReason result = Stage(_selfPath, in packet);
        if (_selfPath.Count > 0 && _selfPath.Send(_socket.Fd) > 0 && result.IsNone)
        {
            result = AfPacketDropReasons.SendFailed;
        }

        return result;
    }

    /// <inheritdoc />
    public void Flush(DropTally drops)
    {
        if (_writePath.Count > 0)
        {
            _writePath.Send(_socket.Fd);
        }

        _writePath.TakeFailed(drops);
    }

    /// <inheritdoc />
    public void Close()
    {
        _closed = true;
        if (_closeEvent.IsClosed)
        {
            return;
        }

        ulong one = 1;
        bool added = false;
        try
        {
            _closeEvent.DangerousAddRef(ref added);
            _ = Libc.write(_closeEvent.Value, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: nobody is left to wake.
        }
        finally
        {
            if (added)
            {
                _closeEvent.DangerousRelease();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Close();
        _socket.Dispose();
        _closeEvent.Dispose();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Receive(PacketBatch batch, long frame, int span)
    {
        Span<byte> window = _ringMemory.Span.Slice((int)frame, span);
        if (!RingFrame.TryRead(window, out int snapLength, out int length, out uint status, out int mac, out byte packetType)
            || mac < TPACKET3_HDR_ALIGNED + 20 + _vnetLength
            || snapLength > span - mac)
        {
            batch.ReadDrops.Add(AfPacketDropReasons.Runt);
            return;
        }

        if (snapLength != length)
        {
            // The kernel clamped a frame larger than a block (or than what fits in one): not the whole packet.
            batch.ReadDrops.Add(AfPacketDropReasons.OversizeFrame);
            return;
        }

        ReadOnlySpan<byte> bytes = window.Slice(mac, snapLength);
        ReadOnlySpan<byte> vnet = _offloads ? window.Slice(mac - VirtioNetHeader.Length, VirtioNetHeader.Length) : default;
        switch (FrameClassifier.Classify(bytes, vnet, packetType, status, _mtu, _local, out int ipLength, out GsoInfo gso, out DropReason drop))
        {
            case FrameKind.Ip:
                int start = mac + Ethernet.HeaderLength;
                ref Packet p = ref batch.Append(_ringMemory.Slice((int)frame, start + ipLength), start, ipLength);
                p.Gso = gso;
                break;
            case FrameKind.Arp:
                Learn(batch, bytes[Ethernet.HeaderLength..]);
                break;
            case FrameKind.NeighbourDiscovery:
                LearnNd(batch, bytes.Slice(Ethernet.HeaderLength, ipLength));
                break;
            case FrameKind.ForHost:
                LeftToHost++;
                break;
            default:
                batch.ReadDrops.Add(drop);
                break;
        }
    }

    private void Learn(PacketBatch batch, ReadOnlySpan<byte> payload)
    {
        if (!Arp.TryParse(payload, out ArpMessage message))
        {
            batch.ReadDrops.Add(AfPacketDropReasons.BadArp);
            return;
        }

        // As the kernel does: a message addressed to one of our addresses creates an entry; any other only refreshes one.
        _neighbours.Learn(NeighbourTable.V4(message.SenderIp), message.SenderMac, Environment.TickCount64, create: _local.Contains(message.TargetIp));
    }

    private void LearnNd(PacketBatch batch, ReadOnlySpan<byte> ip)
    {
        if (!NeighbourDiscovery.TryParse(ip, out NdMessage message))
        {
            batch.ReadDrops.Add(AfPacketDropReasons.BadNeighbourDiscovery);
            return;
        }

        if (message.LinkAddress == 0)
        {
            return;
        }

        // An advertisement teaches its target (created when it answers us); a solicitation its sender (created when it asks for us).
        bool advertisement = message.Type == NeighbourDiscovery.Advertisement;
        _neighbours.Learn(
            advertisement ? message.Target : message.Source,
            message.LinkAddress,
            Environment.TickCount64,
            create: _local.Contains(advertisement ? message.Destination : message.Target));
    }

    private DropReason Stage(TxBatch path, in Packet packet)
    {
        ReadOnlySpan<byte> ip = packet.Data;
        int version = ip.IsEmpty ? 0 : ip[0] >> 4;
        if ((version != 4 || ip.Length < 20) && (version != 6 || ip.Length < 40))
        {
            return AfPacketDropReasons.TxMalformed;
        }

        bool v6 = version == 6;
        UInt128 nextHop;
        if (packet.NextHop != 0)
        {
            Span<byte> address = stackalloc byte[16];
            int written = _nextHops?.CopyAddress(packet.NextHop, address) ?? 0;
            if (written != (v6 ? 16 : 4))
            {
                return AfPacketDropReasons.UnknownNextHop;
            }

            nextHop = v6 ? BinaryPrimitives.ReadUInt128BigEndian(address) : NeighbourTable.V4(BinaryPrimitives.ReadUInt32BigEndian(address));
        }
        else
        {
            nextHop = v6 ? BinaryPrimitives.ReadUInt128BigEndian(ip[24..]) : NeighbourTable.V4(BinaryPrimitives.ReadUInt32BigEndian(ip[16..]));
        }

        NeighbourState state = _neighbours.Lookup(nextHop, Environment.TickCount64, out ulong destination);
        if (state is NeighbourState.Request or NeighbourState.ResolvedRefresh)
        {
            if (v6)
            {
                Solicit6(path, nextHop);
            }
            else
            {
                Solicit(path, (uint)nextHop);
            }
        }

        if (state is NeighbourState.Request or NeighbourState.Pending)
        {
            return AfPacketDropReasons.NeighbourUnresolved;
        }

        GsoInfo gso = packet.Gso;
        if ((!gso.IsSuperpacket && ip.Length > _mtu) || (gso.IsSuperpacket && !AcceptsGso(gso.Type)))
        {
            return AfPacketDropReasons.TxTooLarge;
        }

        int total = _vnetLength + Ethernet.HeaderLength + ip.Length;
        if (total > path.MaxFrame)
        {
            return AfPacketDropReasons.TxTooLarge;
        }

        if (!TryReserve(path, total, out Span<byte> frame))
        {
            return AfPacketDropReasons.TxTooLarge;
        }

        Span<byte> copy = frame[(_vnetLength + Ethernet.HeaderLength)..];
        ip.CopyTo(copy);
        if (_offloads)
        {
            if (!WriteVirtioHeader(frame, gso))
            {
                path.Unreserve();
                return AfPacketDropReasons.TxBadOffload;
            }
        }
        else if (gso.NeedsChecksum && !VirtioOffload.CompleteChecksum(copy, ref gso).IsNone)
        {
            path.Unreserve();
            return AfPacketDropReasons.TxBadOffload;
        }

        Ethernet.WriteHeader(frame[_vnetLength..], destination, _mac, v6 ? Ethernet.TypeIPv6 : Ethernet.TypeIPv4);
        return DropReason.None;
    }

    /// <summary>The virtio-net header for <paramref name="gso"/>, with csum_start and hdr_len counted from the Ethernet header as the kernel wants.</summary>
    private static bool WriteVirtioHeader(Span<byte> frame, in GsoInfo gso)
    {
        if (!VirtioOffload.TryEncode(gso, frame) || !VirtioNetHeader.TryRead(frame, out VirtioNetHeader header))
        {
            return false;
        }

        if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0)
        {
            header = header with { ChecksumStart = (ushort)(header.ChecksumStart + Ethernet.HeaderLength) };
        }

        if (header.GsoType != VirtioNetHeader.GsoNone)
        {
            header = header with { HeaderLength = (ushort)(header.HeaderLength + Ethernet.HeaderLength) };
        }

        return header.TryWrite(frame);
    }

    /// <summary>Queues an ARP request for <paramref name="target"/> on <paramref name="path"/>, from our address on its subnet.</summary>
    private void Solicit(TxBatch path, uint target)
    {
        uint sender = 0;
        foreach ((uint address, uint mask) in _prefixes)
        {
            if ((address & mask) == (target & mask))
            {
                sender = address;
                break;
            }
        }

        if (sender == 0 && _prefixes.Length > 0)
        {
            sender = _prefixes[0].Address;
        }

        int length = _vnetLength + Ethernet.HeaderLength + Arp.Length;
        if (!TryReserve(path, length, out Span<byte> frame))
        {
            return;
        }

        frame[.._vnetLength].Clear();
        Arp.WriteRequest(frame[_vnetLength..], _mac, sender, target);
        ArpRequests++;
    }

    /// <summary>Queues a neighbour solicitation for <paramref name="target"/> on <paramref name="path"/>, from our address on its prefix (else our link-local one).</summary>
    private void Solicit6(TxBatch path, UInt128 target)
    {
        UInt128 sender = _linkLocal;
        foreach ((UInt128 address, UInt128 mask) in _prefixes6)
        {
            if ((address & mask) == (target & mask))
            {
                sender = address;
                break;
            }
        }

        if (sender == UInt128.Zero && _prefixes6.Length > 0)
        {
            sender = _prefixes6[0].Address;
        }

        int length = _vnetLength + NeighbourDiscovery.SolicitationFrameLength;
        if (!TryReserve(path, length, out Span<byte> frame))
        {
            return;
        }

        frame[.._vnetLength].Clear();
        NeighbourDiscovery.WriteSolicitation(frame[_vnetLength..], _mac, sender, target);
        Solicitations++;
    }

    /// <summary>Room for a frame on <paramref name="path"/>, sending what waits there first when it is full.</summary>
    private bool TryReserve(TxBatch path, int length, out Span<byte> frame)
    {
        if (path.TryReserve(length, out frame))
        {
            return true;
        }

        path.Send(_socket.Fd);
        return path.TryReserve(length, out frame);
    }

    private void CountKernelDrops(DropTally drops)
    {
        long now = Environment.TickCount64;
        if (now < _nextStatistics)
        {
            return;
        }

        _nextStatistics = now + StatisticsIntervalMilliseconds;
        if (_socket.TryReadStatistics(out tpacket_stats_v3 statistics) && statistics.tp_drops != 0)
        {
            drops.Add(AfPacketDropReasons.KernelRingFull, statistics.tp_drops);
        }
    }

    /// <summary>Waits until the ring has a block for us (true) or the queue is closed (false).</summary>
    private bool Wait()
    {
        bool socketAdded = false, eventAdded = false;
        try
        {
            _socket.Fd.DangerousAddRef(ref socketAdded);
            _closeEvent.DangerousAddRef(ref eventAdded);
            Libc.pollfd* fds = stackalloc Libc.pollfd[2];
            fds[0] = new Libc.pollfd { fd = _socket.Fd.Value, events = Libc.POLLIN };
            fds[1] = new Libc.pollfd { fd = _closeEvent.Value, events = Libc.POLLIN };
            int result = Libc.poll(fds, 2, IdlePollMilliseconds);
            if (result < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != Libc.EINTR)
                {
                    throw Errors.Native(errno, $"{_where}: poll");
                }

                return !_closed;
            }

            if (fds[1].revents != 0 || _closed)
            {
                return false;
            }

            if ((fds[0].revents & Libc.POLLNVAL) != 0)
            {
                throw new IOException($"{_where}: the socket was closed under the reader (poll reported POLLNVAL)");
            }

            if ((fds[0].revents & Libc.POLLERR) != 0)
            {
                // The device went down (ENETDOWN): clear the pending error, so the next poll waits again.
                int error = 0;
                uint size = sizeof(int);
                _ = Libc.getsockopt(_socket.Fd.Value, Libc.SOL_SOCKET, SO_ERROR, &error, &size);
            }

            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (eventAdded)
            {
                _closeEvent.DangerousRelease();
            }

            if (socketAdded)
            {
                _socket.Fd.DangerousRelease();
            }
        }
    }

    private const int SO_ERROR = 4;
}
