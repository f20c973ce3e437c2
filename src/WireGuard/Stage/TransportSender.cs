using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Packets;
using RouterHost.Underlay;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// One thread's send side: turns packets routed to a peer into transport messages and queues them on that thread's
/// sockets (one per address family) for one <c>sendmmsg</c> per flush.
/// <para>
/// An ordinary packet is encrypted in place: the header goes into its headroom, padding and tag into its tailroom
/// (the TUN backend and emit arenas leave 64 bytes each side); one without the room is copied to scratch first. A
/// superpacket is segmented straight into the scratch area, each segment leaving room for the header, padding and
/// tag, and every segment is encrypted where it lies, so equal-size segments leave as one UDP GSO message.
/// </para>
/// <para>
/// Send counters are reserved a run at a time (<see cref="ReserveHint"/>: the packets to the same peer that follow in
/// the lane's batch, or a superpacket's segments) with one interlocked add on the session, kept in a small per-thread
/// table, and what is left is given back at <see cref="Flush"/>: lanes sending to one peer at once touch its counter
/// once per run, not per packet, and one lane alone sends counters without gaps.
/// </para>
/// Allocation-free after construction; one thread only.
/// </summary>
internal sealed class TransportSender
{
    private const int ScratchBytes = 1 << 20;
    private const int SegmentScratchBytes = 3 << 20;
    private const int MaxDatagramPayload = 65507;
    private const int Reservations = 4;

    private static readonly RouterHost.Crypto.ChaCha20Poly1305 Aead = AeadAlgorithm.ChaCha20Poly1305;

    private readonly int _maxDatagrams;
    private UdpBatchSender? _v4;
    private UdpBatchSender? _v6;
    private long _baseDatagrams;
    private long _baseMessages;
    private long _baseGsoMessages;
    private readonly int _mtu;
    private readonly WireGuardCounters _counters;
    private readonly byte[] _scratch = GC.AllocateArray<byte>(ScratchBytes, pinned: true);
    private readonly SegmentScratch _segments = new(SegmentScratchBytes);
    private readonly DropTally _flushDrops = new();
    private readonly Keypair?[] _reserved = new Keypair?[Reservations];
    private readonly ulong[] _reservedNext = new ulong[Reservations];
    private readonly ulong[] _reservedEnd = new ulong[Reservations];
    private int _evict;
    private int _scratchUsed;
    private int _pending;

    public TransportSender(UdpSocket? v4, UdpSocket? v6, int mtu, WireGuardCounters counters, int maxDatagrams = 1024)
    {
        _maxDatagrams = maxDatagrams;
        _v4 = v4 is null ? null : new UdpBatchSender(v4, maxDatagrams);
        _v6 = v6 is null ? null : new UdpBatchSender(v6, maxDatagrams);
        _mtu = mtu;
        _counters = counters;
    }

    /// <summary>Datagrams queued and not yet flushed.</summary>
    public int Pending => _pending;

    /// <summary>
    /// How many datagrams to the same peer the caller expects to send next, this one included (at least 1): the size of
    /// the counter block reserved when the table has none left for the session. Set by the lane per run of its batch.
    /// </summary>
    public int ReserveHint { get; set; } = 1;

    /// <summary>
    /// Encrypts <paramref name="packet"/> (an IP packet or a superpacket) for <paramref name="peer"/> on
    /// <paramref name="keypair"/> and queues it to <paramref name="endpoint"/>. Returns why not, or none. A session
    /// out of counters returns <see cref="WireGuardDropReasons.ExpiredSession"/>: the caller stages the packet.
    /// </summary>
    public DropReason Send(WireGuardPeer peer, Keypair keypair, PeerEndpoint endpoint, ref Packet packet)
    {
        UdpBatchSender? sender = endpoint.Remote.IsIPv6 ? _v6 : _v4;
        if (sender is null)
        {
            return WireGuardDropReasons.NoSocket;
        }

        if (packet.Gso.IsSuperpacket)
        {
            return SendSegments(peer, keypair, endpoint, sender, in packet);
        }

        int length = packet.Length;
        int padding = MessageLayout.PaddingFor(length, _mtu);
        int total = MessageLayout.TransportHeaderSize + length + padding + MessageLayout.TagSize;
        if (total > MaxDatagramPayload)
        {
            return WireGuardDropReasons.TooLarge;
        }

        Span<byte> region;
        if (packet.Headroom >= MessageLayout.TransportHeaderSize && packet.Tailroom >= padding + MessageLayout.TagSize)
        {
            region = packet.Buffer.Span.Slice(packet.Offset - MessageLayout.TransportHeaderSize, total);
        }
        else
        {
            if (!TryScratch(total, out region))
            {
                return WireGuardDropReasons.NoRoom;
            }

            packet.Data.CopyTo(region[MessageLayout.TransportHeaderSize..]);
        }

        return SealAndQueue(peer, keypair, endpoint, sender, region, length, padding, ReserveHint);
    }

    /// <summary>Queues a keepalive (an empty transport message) to the peer.</summary>
    public DropReason SendKeepalive(WireGuardPeer peer, Keypair keypair, PeerEndpoint endpoint)
    {
        UdpBatchSender? sender = endpoint.Remote.IsIPv6 ? _v6 : _v4;
        if (sender is null)
        {
            return WireGuardDropReasons.NoSocket;
        }

        if (!TryScratch(MessageLayout.TransportMinimumSize, out Span<byte> region))
        {
            return WireGuardDropReasons.NoRoom;
        }

        return SealAndQueue(peer, keypair, endpoint, sender, region, 0, 0, 1);
    }

    /// <summary>Queues a handshake message (copied) to <paramref name="destination"/> from <paramref name="source"/>.</summary>
    public DropReason SendMessage(in UdpEndpoint destination, in UdpEndpoint source, ReadOnlySpan<byte> message)
    {
        UdpBatchSender? sender = destination.IsIPv6 ? _v6 : _v4;
        if (sender is null)
        {
            return WireGuardDropReasons.NoSocket;
        }

        if (!TryScratch(message.Length, out Span<byte> region))
        {
            return WireGuardDropReasons.NoRoom;
        }

        message.CopyTo(region);
        Queue(sender, destination, source, region);
        return DropReason.None;
    }

    /// <summary>
    /// Moves to new sockets (the stage's listen port changed): what is queued leaves on the old ones first. Allocates the
    /// new batch senders, so it runs once per rebind, never per packet. The owning thread only.
    /// </summary>
    public void Rebind(UdpSocket? v4, UdpSocket? v6)
    {
        Flush();
        _baseDatagrams += (_v4?.DatagramsSent ?? 0) + (_v6?.DatagramsSent ?? 0);
        _baseMessages += (_v4?.MessagesSent ?? 0) + (_v6?.MessagesSent ?? 0);
        _baseGsoMessages += (_v4?.GsoMessagesSent ?? 0) + (_v6?.GsoMessagesSent ?? 0);
        _v4 = v4 is null ? null : new UdpBatchSender(v4, _maxDatagrams);
        _v6 = v6 is null ? null : new UdpBatchSender(v6, _maxDatagrams);
    }

    /// <summary>Sends everything queued (failures are counted by reason) and frees the scratch it was queued from.</summary>
    public void Flush()
    {
        SendQueued();
        _scratchUsed = 0;
        _segments.Reset();
        for (int i = 0; i < Reservations; i++)
        {
            Release(i);
        }
    }

    /// <summary>Counters sent in order within a flush: a reservation never outlives it (a peer's window stays tight).</summary>
    private void Release(int slot)
    {
        if (_reserved[slot] is { } keypair)
        {
            keypair.ReturnCounters(_reservedNext[slot], _reservedEnd[slot]);
            _reserved[slot] = null;
        }
    }

    /// <summary>The next send counter on <paramref name="keypair"/>, from this thread's reservation or a new one of <paramref name="want"/>.</summary>
    private bool TryTakeCounter(Keypair keypair, int want, out ulong counter)
    {
        int slot = -1;
        for (int i = 0; i < Reservations; i++)
        {
            if (ReferenceEquals(_reserved[i], keypair))
            {
                if (_reservedNext[i] < _reservedEnd[i])
                {
                    counter = _reservedNext[i]++;
                    return true;
                }

                slot = i;
                break;
            }
        }

        if (slot < 0)
        {
            for (int i = 0; i < Reservations && slot < 0; i++)
            {
                if (_reserved[i] is null)
                {
                    slot = i;
                }
            }

            if (slot < 0)
            {
                slot = _evict;
                _evict = (_evict + 1) % Reservations;
                Release(slot);
            }
        }

        int granted = keypair.TryReserveCounters(Math.Max(want, 1), out ulong first);
        if (granted == 0)
        {
            _reserved[slot] = null;
            counter = 0;
            return false;
        }

        _reserved[slot] = keypair;
        _reservedNext[slot] = first + 1;
        _reservedEnd[slot] = first + (ulong)granted;
        counter = first;
        return true;
    }

    /// <summary>Sends everything queued; the scratch stays held (what is being queued may still lie in it).</summary>
    private void SendQueued()
    {
        if (_pending != 0)
        {
            _v4?.Flush(_flushDrops);
            _v6?.Flush(_flushDrops);
            if (_flushDrops.Total != 0)
            {
                _counters.Add(_flushDrops);
                _flushDrops.Clear();
            }

            _counters.UdpDatagramsSent = _baseDatagrams + (_v4?.DatagramsSent ?? 0) + (_v6?.DatagramsSent ?? 0);
            _counters.UdpMessagesSent = _baseMessages + (_v4?.MessagesSent ?? 0) + (_v6?.MessagesSent ?? 0);
            _counters.UdpGsoMessagesSent = _baseGsoMessages + (_v4?.GsoMessagesSent ?? 0) + (_v6?.GsoMessagesSent ?? 0);
            _pending = 0;
        }
    }

    private DropReason SendSegments(WireGuardPeer peer, Keypair keypair, PeerEndpoint endpoint, UdpBatchSender sender, in Packet superpacket)
    {
        DropReason why = _segments.Plan(in superpacket, MessageLayout.TransportHeaderSize, MessageLayout.PaddingMultiple + MessageLayout.TagSize);
        if (why == DropReason.TooLarge)
        {
            return WireGuardDropReasons.TooLarge;
        }

        if (!why.IsNone)
        {
            return why;
        }

        if (!_segments.PlanFits)
        {
            Flush();
        }

        why = _segments.Write(in superpacket);
        if (!why.IsNone)
        {
            return why;
        }

        int produced = _segments.Count;
        for (int i = 0; i < produced; i++)
        {
            Packet segment = _segments.SegmentAt(in superpacket, i);
            int length = segment.Length;
            int padding = MessageLayout.PaddingFor(length, _mtu);
            Span<byte> region = segment.Buffer.Span.Slice(segment.Offset - MessageLayout.TransportHeaderSize, MessageLayout.TransportHeaderSize + length + padding + MessageLayout.TagSize);
            DropReason sealedResult = SealAndQueue(peer, keypair, endpoint, sender, region, length, padding, Math.Max(ReserveHint, produced - i));
            if (!sealedResult.IsNone)
            {
                // The rest of the superpacket cannot go either; what left already is on its way.
                _counters.Drop(sealedResult, produced - i - 1);
                return sealedResult;
            }
        }

        return DropReason.None;
    }

    private DropReason SealAndQueue(WireGuardPeer peer, Keypair keypair, PeerEndpoint endpoint, UdpBatchSender sender, Span<byte> region, int length, int padding, int want)
    {
        if (!TryTakeCounter(keypair, want, out ulong counter))
        {
            return WireGuardDropReasons.ExpiredSession;
        }

        region.Slice(MessageLayout.TransportHeaderSize + length, padding).Clear();
        MessageLayout.WriteTransportHeader(region, keypair.RemoteIndex, counter);
        Aead.Seal(keypair.SendKey, counter, region[MessageLayout.TransportHeaderSize..], default);
        Queue(sender, endpoint.Remote, endpoint.Local, region);
        _counters.CountSent(peer.Index, region.Length);
        return DropReason.None;
    }

    private void Queue(UdpBatchSender sender, in UdpEndpoint destination, in UdpEndpoint source, Span<byte> datagram)
    {
        if (!sender.TryAdd(destination, source, datagram))
        {
            // Full: send what is queued (the datagram's own bytes stay valid: the scratch is not freed).
            SendQueued();
            sender.TryAdd(destination, source, datagram);
        }

        _pending++;
    }

    private bool TryScratch(int length, out Span<byte> region)
    {
        int size = (length + 15) & ~15;
        if (_scratchUsed + size > _scratch.Length)
        {
            Flush();
            if (size > _scratch.Length)
            {
                region = default;
                return false;
            }
        }

        region = _scratch.AsSpan(_scratchUsed, length);
        _scratchUsed += size;
        return true;
    }
}
