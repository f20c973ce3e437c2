using System.Runtime.CompilerServices;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Packets;
using RouterHost.Plugins.AfXdp.Internal;
using static RouterHost.Linux.Interop.Libc;
using static RouterHost.Plugins.AfXdp.Interop.Xsk;

namespace RouterHost.Plugins.AfXdp;

/// <summary>
/// One queue of an AF_XDP interface: the socket bound to one device queue, its UMEM and rings.
/// <para>
/// Read: gives the last batch's frames back to the fill ring, then takes what the RX ring holds (packets are slices
/// of the UMEM, valid until the next read), blocking in <c>poll</c> (with the close eventfd) only when it is empty.
/// About once a second it reads XDP_STATISTICS and counts what the kernel dropped as drop reasons.
/// </para>
/// <para>
/// Write / WriteFromSelf: resolve the neighbour (the packet's next hop, or its destination when directly connected)
/// through the interface's <see cref="NeighbourTable"/>, copy Ethernet header and packet into a transmit frame of
/// this path, stage the descriptor; the write path publishes at <see cref="Flush"/> (or every batch-size packets), the
/// self path at once. No superpackets: the queue is no <see cref="IGsoWriter"/>, so the runner segments them; one
/// written anyway is the counted drop <see cref="DropReason.GsoUnsupported"/>.
/// </para>
/// </summary>
internal sealed unsafe partial class AfXdpQueue : IQueue
{
    private const long StatisticsIntervalMilliseconds = 1000;
    private const int IdlePollMilliseconds = 1000;

    private readonly XskSocket _socket;
    private readonly XskReceiver _receiver;
    private readonly XskTransmitter _transmitter;
    private readonly NeighbourTable _neighbours;
    private readonly CloseSignal _closing = new();
    private readonly ulong _localMac;
    private readonly int _mtu;
    private readonly string _device;
    private xdp_statistics _lastStatistics;
    private long _nextStatistics;
    private long _pendingTxInvalid;

    public AfXdpQueue(XskSocket socket, int index, uint queueId, string device, ulong localMac, int mtu, int batchSize, NeighbourTable neighbours)
    {
        _socket = socket;
        Index = index;
        QueueId = queueId;
        _device = device;
        _localMac = localMac;
        _mtu = mtu;
        _neighbours = neighbours;
        _receiver = new XskReceiver(socket.Fill, socket.Rx, socket.Umem, socket.Layout, localMac);
        _transmitter = new XskTransmitter(socket.Tx, socket.Completion, socket.Umem, socket.Layout, batchSize, socket, socket.TxBudget);
        _receiver.Recycle();
        if (_receiver.FillNeedsWakeup)
        {
            socket.WakeReceive();
        }
    }

    public int Index { get; }

    /// <summary>The device queue the socket is bound to.</summary>
    public uint QueueId { get; }

    public XskSocket Socket => _socket;

    public XskReceiver Receiver => _receiver;

    public XskTransmitter Transmitter => _transmitter;

    public bool Read(PacketBatch batch)
    {
        batch.Clear();
        _receiver.Recycle();
        if (_receiver.FillNeedsWakeup)
        {
            _socket.WakeReceive();
        }

        long now = Environment.TickCount64;
        if (now >= _nextStatistics)
        {
            _nextStatistics = now + StatisticsIntervalMilliseconds;
            CountKernelDrops(batch.ReadDrops);
        }

        while (true)
        {
            _receiver.Receive(batch);
            if (batch.Count > 0 || batch.ReadDrops.Total > 0)
            {
                return true;
            }

            if (_closing.IsClosed || !WaitReadable())
            {
                return false;
            }
        }
    }

    public DropReason Write(in Packet packet) => Send(_transmitter.WritePath, in packet);

    public DropReason WriteFromSelf(in Packet packet)
    {
        // The self path publishes every packet as it is staged (threshold 1): written at once, never held.
        XskTxPath path = _transmitter.SelfPath;
        DropReason result = Send(path, in packet);
        if (result.IsNone && path.UnreportedRingFull != 0)
        {
            path.UnreportedRingFull = 0;
            return AfXdpDropReasons.TxRingFull;
        }

        return result;
    }

    public void Flush(DropTally drops)
    {
        XskTxPath path = _transmitter.WritePath;
        _transmitter.Publish(path);
        if (path.UnreportedRingFull != 0)
        {
            drops.Add(AfXdpDropReasons.TxRingFull, path.UnreportedRingFull);
            path.UnreportedRingFull = 0;
        }

        long invalid = Interlocked.Exchange(ref _pendingTxInvalid, 0);
        if (invalid != 0)
        {
            drops.Add(AfXdpDropReasons.KernelTxInvalidDescriptors, invalid);
        }
    }

    public void Close() => _closing.Close();

    public void Dispose()
    {
        if (!_closing.TryBeginDispose())
        {
            return;
        }

        _socket.Dispose();
        _closing.Dispose();
    }

    /// <summary>XDP_STATISTICS now (for metrics; any thread), or false when the socket is gone.</summary>
    public bool TryGetStatistics(out xdp_statistics statistics) => _socket.TryGetStatistics(out statistics);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DropReason Send(XskTxPath path, in Packet packet)
    {
        if (packet.Gso.IsSuperpacket)
        {
            return DropReason.GsoUnsupported;
        }

        ReadOnlySpan<byte> ip = packet.Data;
        ReadOnlySpan<byte> address = IpPacket.DestinationOf(ip);
        if (address.IsEmpty)
        {
            return AfXdpDropReasons.TxMalformed;
        }

        bool v6 = address.Length == Ipv6Header.AddressLength;
        byte family = v6 ? (byte)6 : (byte)4;
        UInt128 destination = IpPacket.ToNumber(address);
        ushort ethertype = v6 ? EthernetFrame.EthertypeIPv6 : EthernetFrame.EthertypeIPv4;
        int length = EthernetFrame.HeaderLength + ip.Length;
        if (length > _transmitter.FrameSize)
        {
            return AfXdpDropReasons.LargerThanFrame;
        }

        if (ip.Length > _mtu)
        {
            return AfXdpDropReasons.LargerThanMtu;
        }

        NeighbourStatus status = _neighbours.Lookup(packet.NextHop, family, destination, out ulong mac);
        if (status != NeighbourStatus.Resolved)
        {
            return status switch
            {
                NeighbourStatus.Failed => AfXdpDropReasons.NeighbourFailed,
                NeighbourStatus.Unknown => AfXdpDropReasons.UnknownNextHop,
                _ => AfXdpDropReasons.NeighbourUnresolved,
            };
        }

        if (!_transmitter.TryTakeFrame(path, out uint frame))
        {
            return AfXdpDropReasons.NoFreeFrame;
        }

        Span<byte> bytes = _transmitter.Frame(frame);
        EthernetFrame.WriteHeader(bytes, mac, _localMac, ethertype);
        ip.CopyTo(bytes[EthernetFrame.HeaderLength..]);
        _transmitter.Stage(path, frame, length);
        return DropReason.None;
    }

    private void CountKernelDrops(DropTally drops)
    {
        if (!_socket.TryGetStatistics(out xdp_statistics now))
        {
            return;
        }

        xdp_statistics last = _lastStatistics;
        _lastStatistics = now;
        AddDelta(drops, AfXdpDropReasons.KernelRxDropped, now.rx_dropped, last.rx_dropped);
        AddDelta(drops, AfXdpDropReasons.KernelRxRingFull, now.rx_ring_full, last.rx_ring_full);
        AddDelta(drops, AfXdpDropReasons.KernelRxInvalidDescriptors, now.rx_invalid_descs, last.rx_invalid_descs);
        if (now.tx_invalid_descs > last.tx_invalid_descs)
        {
            Interlocked.Add(ref _pendingTxInvalid, (long)(now.tx_invalid_descs - last.tx_invalid_descs));
        }
    }

    private static void AddDelta(DropTally drops, DropReason reason, ulong now, ulong last)
    {
        if (now > last)
        {
            drops.Add(reason, (long)(now - last));
        }
    }

    /// <summary>Blocks until the RX ring has something (true) or the queue is closed (false).</summary>
    private bool WaitReadable()
    {
        Readiness wait = ReadinessWait.Wait(_socket.Fd, _closing.Event, IdlePollMilliseconds);
        if (wait.Outcome == ReadinessOutcome.Failed)
        {
            throw LinuxException.FromErrno(wait.ErrorNumber, $"poll on the AF_XDP socket of '{_device}' queue {QueueId}");
        }

        if (wait.Outcome == ReadinessOutcome.Closed || _closing.IsClosed)
        {
            return false;
        }

        if (wait.Outcome == ReadinessOutcome.Error)
        {
            throw new LinuxException($"the AF_XDP socket of '{_device}' queue {QueueId} reported poll events 0x{wait.Events:x} (the device is gone?)");
        }

        if (wait.Outcome == ReadinessOutcome.TimedOut)
        {
            // Idle: frames a kick could not hand over yet (no socket buffer) go now; the RX ring is checked again.
            _transmitter.KickIfBacklogged(_transmitter.SelfPath);
        }

        return true;
    }
}
