using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using RouterHost.Abstractions;
using RouterHost.Crypto;
using RouterHost.Underlay;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The WireGuard stage on one runner thread. Outbound (packets routed to one of our peers): encrypt and queue on this
/// lane's sockets; packets for a peer without a session are staged and a handshake is asked for. At the end of the
/// lane's batch (<see cref="EndBatch"/>, called by the runner) it sends the packets staged for sessions that just
/// became usable, released to the source this lane reads (<see cref="WireGuardStage.StagedReadyFor"/>), and flushes everything queued: one flush per batch, the
/// only flush of the data path. Inbound (datagrams from our sockets): transport messages are authenticated, checked against the replay
/// window and decrypted in place into the IP packet they carry, with the peer as ingress; handshake messages that
/// pass MAC1 are copied to the handshake thread's queue. Every refused datagram is a drop with a reason.
/// No locks, no allocation, no exceptions per packet.
/// </summary>
internal sealed class WireGuardWorker : IStageWorker
{
    private static readonly RouterHost.Crypto.ChaCha20Poly1305 Aead = AeadAlgorithm.ChaCha20Poly1305;

    private readonly WireGuardStage _stage;
    private readonly TransportSender _sender;
    private readonly int _lane;
    private readonly List<StagedPacket> _released = new(StagedPackets.Capacity);
    private int _socketGeneration;

    // The peers stamped in this inbound batch (alive, and data received): once per run, not per packet.
    private WireGuardPeer? _receivedStamped;
    private WireGuardPeer? _dataStamped;
    // Receive-path AQM (null when the stage's Aqm is off) and the batch's clock for it.
    private readonly ReceiveAqm? _aqm;
    private long _batchNs;
    // Outbound: sparse flows' packets are sealed and sent before a bulk flow's in the same batch.
    private readonly SparseFlowOrder _sparseFirst;
    /// <summary>The stage source this lane reads (learnt from its first datagram), or -1: where its released staged packets wait.</summary>
    private int _ownSource = -1;

    public WireGuardWorker(WireGuardStage stage, int lane)
    {
        _stage = stage;
        _lane = lane;
        Counters = stage.RegisterCounters();
        _socketGeneration = stage.SocketGeneration;
        _sender = new TransportSender(stage.SocketFor(lane, ipv6: false), stage.SocketFor(lane, ipv6: true), stage.Mtu, Counters);
        _aqm = stage.Aqm.Enabled ? new ReceiveAqm(stage.Aqm) : null;
        _sparseFirst = new SparseFlowOrder(Math.Max(stage.BatchSize, 1));
    }

    public WireGuardCounters Counters { get; }

    public void Process(PacketBatch batch)
    {
        long now = _stage.Now;
        FollowSockets();

        if (batch.Direction == PacketDirection.Outbound)
        {
            ProcessOutbound(batch, now);
        }
        else
        {
            ProcessInbound(batch, now);
        }
    }

    /// <summary>The runner ended the lane's batch: what waited for a session goes, then everything queued leaves.</summary>
    public void EndBatch()
    {
        if (_ownSource >= 0 && _stage.StagedReadyFor(_ownSource) is { IsEmpty: false } released)
        {
            FollowSockets();
            SendReleased(released, _stage.Now);
        }

        _sender.Flush();
    }

    /// <summary>The listen port changed: this lane sends from the new sockets from now on.</summary>
    private void FollowSockets()
    {
        if (_stage.SocketGeneration != _socketGeneration)
        {
            _socketGeneration = _stage.SocketGeneration;
            _sender.Rebind(_stage.SocketFor(_lane, ipv6: false), _stage.SocketFor(_lane, ipv6: true));
        }
    }

    /// <summary>Nothing is held: <see cref="EndBatch"/> flushed after the last batch.</summary>
    public void Dispose()
    {
    }

    /// <summary>
    /// Sends what was staged for the peers released to this lane (<see cref="WireGuardStage.StagedReadyFor"/>: their
    /// sessions just became usable). A peer whose session is gone again asks for a new handshake; its packets stay
    /// staged for it.
    /// </summary>
    private void SendReleased(System.Collections.Concurrent.ConcurrentQueue<WireGuardPeer> released, long now)
    {
        bool wake = false;
        while (released.TryDequeue(out WireGuardPeer? peer))
        {
            peer.TakeStagedFlushRequest();
            if (peer.IsRemoved)
            {
                continue;
            }

            Keypair? keypair = peer.Keypairs.Current;
            PeerEndpoint? endpoint = peer.Endpoint;
            if (keypair is null || keypair.IsExpired(now) || endpoint is null)
            {
                if (peer.Staged.Count > 0)
                {
                    wake |= _stage.RequestHandshake(peer);
                }

                continue;
            }

            _released.Clear();
            peer.Staged.Drain(_released);
            int sent = 0;
            _sender.ReserveHint = _released.Count;
            foreach (StagedPacket staged in _released)
            {
                var packet = new Packet { Buffer = staged.Buffer, Offset = 0, Length = staged.Length, Gso = staged.Gso, Egress = peer.Port };
                DropReason result = _sender.Send(peer, keypair, endpoint, ref packet);
                if (result.IsNone)
                {
                    sent++;
                }
                else
                {
                    Counters.Drop(result);
                }

                // The sender copied the packet into its own pinned scratch; the pooled buffer can go back now.
                StagedPackets.Release(staged);
            }

            _released.Clear();
            _sender.ReserveHint = 1;
            if (sent > 0)
            {
                Counters.StagedSent += sent;
                peer.OnDataSent(now);
            }
        }

        if (wake)
        {
            _stage.WakeHandshakeThread();
        }
    }

    /// <summary>
    /// Seals and queues the batch's packets to peers. Sparse flows go first (<see cref="SparseFlowOrder"/>) and are
    /// flushed on their own before the bulk flows' packets are sealed: a ping read with a bulk flow's superpackets
    /// leaves without waiting for them. Within a flow the batch order stands.
    /// </summary>
    private void ProcessOutbound(PacketBatch batch, long now)
    {
        bool wake = false;
        Span<Packet> packets = batch.AsSpan();
        int sparse = _sparseFirst.Order(packets);
        ReadOnlySpan<int> order = sparse > 0 ? _sparseFirst.Positions : default;
        WireGuardPeer? stamped = null;
        int runEnd = 0;
        bool sentSparse = false;
        for (int k = 0; k < packets.Length; k++)
        {
            if (k == sparse && sentSparse)
            {
                // The sparse flows' datagrams leave now, before the bulk flows' are sealed.
                sentSparse = false;
                Counters.SparseFlushes++;
                _sender.Flush();
            }

            int i = sparse > 0 ? order[k] : k;
            ref Packet p = ref packets[i];
            if (p.Egress.Kind != PortKind.Peer)
            {
                continue;
            }

            WireGuardPeer? peer = _stage.PeerFor(p.Egress);
            if (peer is null)
            {
                continue; // another tunnel stage's peer
            }

            PeerEndpoint? endpoint = peer.Endpoint;
            if (endpoint is null)
            {
                p.Drop(WireGuardDropReasons.NoEndpoint);
                continue;
            }

            Keypair? keypair = peer.Keypairs.Current;
            if (keypair is null || keypair.IsExpired(now))
            {
                wake |= Stage(peer, ref p);
                continue;
            }

            if (k >= runEnd)
            {
                // The run of packets to this peer that starts here (within the sparse or the bulk part): the sender
                // reserves its counters in one go.
                runEnd = RunEnd(packets, order, k, k < sparse ? sparse : packets.Length);
                _sender.ReserveHint = runEnd - k;
            }

            DropReason result = _sender.Send(peer, keypair, endpoint, ref p);
            if (!result.IsNone)
            {
                if (result == WireGuardDropReasons.ExpiredSession)
                {
                    wake |= Stage(peer, ref p);
                }
                else
                {
                    p.Drop(result);
                }

                continue;
            }

            p.Consume();
            sentSparse |= k < sparse;
            if (!ReferenceEquals(stamped, peer))
            {
                // Once per run of the batch, not per packet: the stamps are the peer's, shared by every lane.
                stamped = peer;
                peer.OnDataSent(now);
                if (keypair.IsInitiator
                    && (now - keypair.CreatedMs >= ProtocolLimits.RekeyAfterTimeMs || keypair.SentMessages >= ProtocolLimits.RekeyAfterMessages))
                {
                    wake |= _stage.RequestHandshake(peer);
                }
            }
        }

        _sender.ReserveHint = 1;
        if (wake)
        {
            _stage.WakeHandshakeThread();
        }
    }

    /// <summary>
    /// Where the run of packets with the egress of the packet at sending position <paramref name="start"/> ends
    /// (exclusive, at most <paramref name="limit"/>); positions map through <paramref name="order"/> unless it is empty.
    /// </summary>
    private static int RunEnd(ReadOnlySpan<Packet> packets, ReadOnlySpan<int> order, int start, int limit)
    {
        PortId egress = packets[order.IsEmpty ? start : order[start]].Egress;
        int end = start + 1;
        while (end < limit && packets[order.IsEmpty ? end : order[end]].Egress == egress)
        {
            end++;
        }

        return end;
    }

    private bool Stage(WireGuardPeer peer, ref Packet p)
    {
        if (peer.Staged.Stage(in p))
        {
            Counters.Drop(WireGuardDropReasons.StagedOverflow);
        }

        p.Consume();
        return _stage.RequestHandshake(peer);
    }

    private void ProcessInbound(PacketBatch batch, long now)
    {
        bool wake = false;
        _receivedStamped = null;
        _dataStamped = null;
        _batchNs = _aqm is null ? 0 : ReceiveAqm.NowNs();
        Span<Packet> packets = batch.AsSpan();
        for (int i = 0; i < packets.Length; i++)
        {
            ref Packet p = ref packets[i];
            if (!p.IsFromStageSource)
            {
                continue; // decrypted by a stage further out, or made by the router
            }

            UdpReceiveQueue? source = _stage.SourceAt(p.IngressQueue);
            if (source is null)
            {
                p.Drop(WireGuardDropReasons.NotWireGuard);
                continue;
            }

            _ownSource = p.IngressQueue;

            Span<byte> data = p.Data;
            MessageType type = MessageLayout.TypeOf(data);
            switch (type)
            {
                case MessageType.Transport:
                    wake |= ReceiveTransport(ref p, source, now);
                    break;
                case MessageType.Initiation:
                case MessageType.Response:
                case MessageType.CookieReply:
                    if (data.Length != MessageLayout.HandshakeSize(type))
                    {
                        p.Drop(WireGuardDropReasons.BadSize);
                    }
                    else if (type != MessageType.CookieReply && !_stage.Checker.CheckMac1(data))
                    {
                        p.Drop(WireGuardDropReasons.BadMac1);
                    }
                    else if (_stage.Handshakes.TryEnqueue(data, source.Source(p.SourceSlot), source.Destination(p.SourceSlot), p.IngressQueue, now))
                    {
                        Counters.HandshakesQueued++;
                        p.Consume();
                        wake = true;
                    }
                    else
                    {
                        p.Drop(WireGuardDropReasons.HandshakeQueueFull);
                    }

                    break;
                default:
                    p.Drop(WireGuardDropReasons.NotWireGuard);
                    break;
            }
        }

        if (wake)
        {
            _stage.WakeHandshakeThread();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool ReceiveTransport(ref Packet p, UdpReceiveQueue source, long now)
    {
        Span<byte> data = p.Data;
        if (data.Length < MessageLayout.TransportMinimumSize)
        {
            p.Drop(WireGuardDropReasons.BadSize);
            return false;
        }

        uint receiver = BinaryPrimitives.ReadUInt32LittleEndian(data[MessageLayout.TransportReceiverOffset..]);
        if (!_stage.Indices.TryGet(receiver, out IndexEntry? entry) || entry.Keypair is not { } keypair)
        {
            p.Drop(WireGuardDropReasons.UnknownReceiver);
            return false;
        }

        if (keypair.IsExpired(now))
        {
            p.Drop(WireGuardDropReasons.ExpiredSession);
            return false;
        }

        ulong counter = BinaryPrimitives.ReadUInt64LittleEndian(data[MessageLayout.TransportCounterOffset..]);
        if (counter >= ProtocolLimits.RejectAfterMessages)
        {
            p.Drop(WireGuardDropReasons.Replayed);
            return false;
        }

        if (!Aead.Open(keypair.ReceiveKey, counter, data[MessageLayout.TransportHeaderSize..], default))
        {
            p.Drop(WireGuardDropReasons.DecryptFailed);
            return false;
        }

        if (!keypair.Replay.TryAccept(counter))
        {
            p.Drop(WireGuardDropReasons.Replayed);
            return false;
        }

        // Authenticated: the peer is alive, and it is where this datagram came from (roaming) — unless it was removed
        // at runtime and the handshake thread has not yet zeroed its sessions: then it is refused.
        WireGuardPeer peer = entry.Peer;
        if (peer.IsRemoved)
        {
            p.Drop(WireGuardDropReasons.RemovedPeer);
            return false;
        }

        bool wake = false;
        if (!ReferenceEquals(_receivedStamped, peer))
        {
            _receivedStamped = peer;
            peer.OnReceived(now);
        }

        KeypairSet set = peer.Keypairs;
        if (ReferenceEquals(set.Next, keypair))
        {
            wake |= _stage.Confirm(peer, keypair, p.IngressQueue);
        }
        else if (ReferenceEquals(set.Current, keypair) && keypair.IsInitiator && now - keypair.CreatedMs >= ProtocolLimits.RekeyOnReceiveAfterMs)
        {
            wake |= _stage.RequestHandshake(peer);
        }

        ref readonly UdpEndpoint from = ref source.Source(p.SourceSlot);
        ref readonly UdpEndpoint to = ref source.Destination(p.SourceSlot);
        PeerEndpoint? endpoint = peer.Endpoint;
        if (endpoint is null || endpoint.Remote != from || endpoint.Local != to)
        {
            peer.SetEndpoint(new PeerEndpoint(from, to));
        }

        Counters.TransportsAccepted++;
        Counters.CountReceived(peer.Index, data.Length);
        int plaintext = data.Length - MessageLayout.TransportOverhead;
        if (plaintext == 0)
        {
            Counters.Keepalives++;
            p.Consume();
            return wake;
        }

        ReadOnlySpan<byte> inner = data.Slice(MessageLayout.TransportHeaderSize, plaintext);
        int length = InnerLength(inner);
        if (length == 0)
        {
            p.Drop(WireGuardDropReasons.BadInnerPacket);
            return wake;
        }

        p.Offset += MessageLayout.TransportHeaderSize;
        p.Length = length;
        p.Ingress = peer.Port;
        if (_aqm is not null && _aqm.Apply(ref p, source.Index, source.SojournNs(p.SourceSlot), _batchNs))
        {
            _ = p.IsForwarded ? Counters.AqmMarked++ : Counters.AqmDropped++;
        }

        p.SourceSlot = default;
        p.Gso = default;
        if (!ReferenceEquals(_dataStamped, peer))
        {
            _dataStamped = peer;
            peer.OnDataReceived(now);
        }

        return wake;
    }

    /// <summary>The IP packet's own length (so padding is cut off), or 0 when the plaintext is not an IP packet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int InnerLength(ReadOnlySpan<byte> plaintext)
    {
        int version = plaintext[0] >> 4;
        if (version == 4 && plaintext.Length >= 20)
        {
            int total = BinaryPrimitives.ReadUInt16BigEndian(plaintext[2..]);
            return total >= 20 && total <= plaintext.Length ? total : 0;
        }

        if (version == 6 && plaintext.Length >= 40)
        {
            int total = 40 + BinaryPrimitives.ReadUInt16BigEndian(plaintext[4..]);
            return total <= plaintext.Length ? total : 0;
        }

        return 0;
    }
}
