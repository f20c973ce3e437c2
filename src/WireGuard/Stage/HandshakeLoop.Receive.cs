using System.Buffers.Binary;
using RouterHost.Underlay;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>The handshake thread's messages received: initiations, responses and cookie replies, and the under-load rule.</summary>
internal sealed partial class HandshakeLoop
{
    /// <summary>
    /// Whether to ask for cookies: the queue is half full (cookies must start before it overflows, whatever the rate),
    /// or the handshake thread does not keep up — the queued messages would take longer than
    /// <see cref="UnderLoadBacklogMs"/> to answer at the measured cost of a handshake. A
    /// storm of legitimate peers the thread answers in time is answered at once, not sent away for 5 s; a flood is not.
    /// Once under load, the node stays so for <see cref="UnderLoadHoldMs"/>.
    /// </summary>
    /// <summary>
    /// Takes <paramref name="ticks"/> (Stopwatch ticks) as the measured cost of a handshake until the next round's
    /// measurement moves it: the fuzz target puts the stage under load with a few dozen queued messages this way,
    /// rather than the thousands a flood takes at the real cost.
    /// </summary>
    internal void AssumeHandshakeCost(long ticks) => _handshakeCostTicks = ticks;

    private bool IsUnderLoad(long now)
    {
        int depth = _stage.Handshakes.Count;
        long backlogMs = depth * _handshakeCostTicks * 1000 / System.Diagnostics.Stopwatch.Frequency;
        if (depth >= _stage.Handshakes.Capacity / 2 || backlogMs >= UnderLoadBacklogMs)
        {
            Volatile.Write(ref _underLoadUntilMs, now + UnderLoadHoldMs);
            return true;
        }

        return now < _underLoadUntilMs;
    }

    private void Handle(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, int sourceQueue, long now)
    {
        MessageType type = MessageLayout.TypeOf(message);
        if (type == MessageType.CookieReply)
        {
            HandleCookieReply(message, now);
            return;
        }

        if (IsUnderLoad(now))
        {
            int addressLength = source.WriteAddress(_address);
            int keyLength = CookieChecker.SourceKey(_address.AsSpan(0, addressLength), source.Port, _sourceKey);
            if (!_stage.Checker.CheckMac2(message, _sourceKey.AsSpan(0, keyLength), now))
            {
                Span<byte> reply = _reply.AsSpan(0, MessageLayout.CookieReplySize);
                _stage.Checker.CreateReply(message, _sourceKey.AsSpan(0, keyLength), now, reply);
                if (_sender.SendMessage(source, destination, reply).IsNone)
                {
                    Counters.CookieRepliesSent++;
                }

                Counters.DropMessage(WireGuardDropReasons.CookieSent);
                return;
            }

            if (!_rateLimiter.Allow(_address.AsSpan(0, addressLength), now))
            {
                Counters.DropMessage(WireGuardDropReasons.RateLimited);
                return;
            }
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (type == MessageType.Initiation)
        {
            HandleInitiation(message, source, destination, now);
        }
        else
        {
            HandleResponse(message, source, destination, sourceQueue, now);
        }

        // The cost of the work a cookie spares (Diffie-Hellman and all): what the under-load rule measures the queue in.
        // The cheapest of a round is what the thread itself spends (the others include time other threads and
        // processes took the core: cookies spare none of that, and a first call includes JIT compilation).
        _roundCostTicks = Math.Min(_roundCostTicks, System.Diagnostics.Stopwatch.GetTimestamp() - started);
    }

    private void HandleInitiation(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, long now)
    {
        HandshakeOutcome outcome = NoiseHandshake.TryOpenInitiation(_stage.Local, message, _pending);
        if (outcome != HandshakeOutcome.Accepted)
        {
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        WireGuardPeer? peer = _stage.FindPeer(_pending.RemoteStaticKey);
        if (peer is null)
        {
            _pending.Clear();
            Counters.DropMessage(WireGuardDropReasons.UnknownPeer);
            return;
        }

        outcome = NoiseHandshake.TryAcceptInitiation(_pending, peer.Identity, peer.Handshake, message, now);
        if (outcome != HandshakeOutcome.Accepted)
        {
            _pending.Clear();
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        // Our own initiation under way (if any) is replaced: the peer's wins, as in wireguard-go.
        bool crossed = peer.HandshakeEntry is not null;
        ReleaseHandshakeIndex(peer);
        var placeholder = new IndexEntry(peer, null);
        uint index = _stage.Indices.Add(placeholder);
        Span<byte> response = _reply.AsSpan(0, MessageLayout.ResponseSize);
        outcome = NoiseHandshake.CreateResponse(peer.Identity, peer.Handshake, index, response);
        Keypair? keypair = outcome == HandshakeOutcome.Accepted ? NoiseHandshake.DeriveKeypair(peer.Handshake, now) : null;
        if (keypair is null)
        {
            _stage.Indices.Remove(index, placeholder);
            peer.Handshake.Clear();
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        peer.Cookies.AddMacs(response, now);
        _stage.Indices.Replace(index, new IndexEntry(peer, keypair));
        // A responder's session waits as Next until the initiator's first message confirms it.
        Install(peer, keypair, asInitiator: false, source, destination, now);
        // A handshake just happened: our own initiation must not cross it (wireguard-go stamps its response the same way).
        peer.LastInitiationSentMs = now;
        if (crossed && peer.Staged.Count > 0)
        {
            // Crossed: the peer answered (or will answer) our initiation too and throws our response away, so both of us
            // wait as responders for a first transport message that neither sends, until a 5 s retry. We initiate again
            // shortly (Tick), unless the peer's first message confirms this session first; the two sides' delays differ
            // (by public key) so two RouterHost nodes do not cross again.
            peer.RetransmitAtMs = now + CrossedDelay(peer);
            Arm(peer);
        }

        if (_sender.SendMessage(source, destination, response).IsNone)
        {
            Counters.ResponsesSent++;
            peer.OnSent(now);
        }

        Counters.HandshakesAccepted[(int)MessageType.Initiation]++;
        Log.Responded(_logger, _stage.Name, peer.Name, source.ToString());
    }

    /// <summary>How long after answering a crossed initiation we initiate again: sooner for the greater public key.</summary>
    private long CrossedDelay(WireGuardPeer peer) =>
        _stage.Local.PublicKey.SequenceCompareTo(peer.Identity.PublicKey) > 0 ? ProtocolLimits.CrossedReinitiateMs : ProtocolLimits.CrossedReinitiateLaterMs;

    private void HandleResponse(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, int sourceQueue, long now)
    {
        uint receiver = BinaryPrimitives.ReadUInt32LittleEndian(message[MessageLayout.ResponseReceiverOffset..]);
        if (!_stage.Indices.TryGet(receiver, out IndexEntry? entry) || entry.Keypair is not null || !ReferenceEquals(entry.Peer.HandshakeEntry, entry))
        {
            Counters.DropMessage(WireGuardDropReasons.UnexpectedResponse);
            return;
        }

        WireGuardPeer peer = entry.Peer;
        if (peer.IsRemoved)
        {
            Counters.DropMessage(WireGuardDropReasons.RemovedPeer);
            return;
        }

        HandshakeOutcome outcome = NoiseHandshake.TryConsumeResponse(_stage.Local, peer.Identity, peer.Handshake, message);
        if (outcome != HandshakeOutcome.Accepted)
        {
            Counters.DropMessage(WireGuardDropReasons.For(outcome));
            return;
        }

        Keypair keypair = NoiseHandshake.DeriveKeypair(peer.Handshake, now)!;
        _stage.Indices.Replace(receiver, new IndexEntry(peer, keypair));
        peer.HandshakeIndex = 0;
        peer.HandshakeEntry = null;
        // The initiator may send at once: the new session becomes current, the old one previous.
        Install(peer, keypair, asInitiator: true, source, destination, now);
        Counters.HandshakesAccepted[(int)MessageType.Response]++;
        Log.Completed(_logger, _stage.Name, peer.Name, source.ToString());
        if (peer.Staged.Count > 0)
        {
            // What waited for this session leaves from the lane that reads the source this response came in on (woken
            // for it: the lane the kernel gives this peer's datagrams), which confirms the session too.
            _stage.ReleaseStaged(peer, sourceQueue, wakeLane: true);
        }
        else
        {
            SendKeepalive(peer, now); // confirms the session to the responder
        }
    }

    /// <summary>
    /// Puts a just-derived session in place (the initiator's as current, a responder's as next), retires what it
    /// pushes out, and records the handshake: the peer's endpoint is where the message came from, its retries stop.
    /// </summary>
    private void Install(WireGuardPeer peer, Keypair keypair, bool asInitiator, in UdpEndpoint source, in UdpEndpoint destination, long now)
    {
        while (true)
        {
            KeypairSet set = peer.Keypairs;
            KeypairSet installed = asInitiator ? new KeypairSet(keypair, set.Current, null) : new KeypairSet(set.Current, null, keypair);
            if (peer.TrySwapKeypairs(set, installed))
            {
                Retire(set.Previous, now);
                Retire(set.Next, now);
                break;
            }
        }

        peer.SetEndpoint(new PeerEndpoint(source, destination));
        peer.OnReceived(now);
        peer.RetransmitAtMs = 0;
        peer.HandshakeAttempts = 0;
        peer.LastSessionDerivedMs = now;
        Arm(peer);
        Volatile.Write(ref peer.LatestHandshakeUnixMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    }

    private void HandleCookieReply(ReadOnlySpan<byte> message, long now)
    {
        uint receiver = CookieGenerator.ReceiverOf(message);
        if (!_stage.Indices.TryGet(receiver, out IndexEntry? entry) || entry.Keypair is not null)
        {
            Counters.DropMessage(WireGuardDropReasons.UnknownReceiver);
            return;
        }

        if (entry.Peer.Cookies.TryConsumeReply(message, now))
        {
            Counters.HandshakesAccepted[(int)MessageType.CookieReply]++;
            Log.CookieReceived(_logger, _stage.Name, entry.Peer.Name);
        }
        else
        {
            Counters.DropMessage(WireGuardDropReasons.BadCookieReply);
        }
    }
}
