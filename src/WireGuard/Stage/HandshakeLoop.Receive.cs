using System.Buffers.Binary;
using RouterHost.Underlay;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>The handshake thread's messages received: initiations, responses and cookie replies, and the under-load rule.</summary>
internal sealed partial class HandshakeLoop
{
    private bool IsUnderLoad(long now)
    {
        if (_stage.Handshakes.Count >= _stage.Handshakes.Capacity / 8)
        {
            Volatile.Write(ref _underLoadUntilMs, now + UnderLoadHoldMs);
            return true;
        }

        return now < _underLoadUntilMs;
    }

    private void Handle(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, long now)
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

        if (type == MessageType.Initiation)
        {
            HandleInitiation(message, source, destination, now);
        }
        else
        {
            HandleResponse(message, source, destination, now);
        }
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
        if (_sender.SendMessage(source, destination, response).IsNone)
        {
            Counters.ResponsesSent++;
            peer.OnSent(now);
        }

        Counters.HandshakesAccepted[(int)MessageType.Initiation]++;
        Log.Responded(_logger, _stage.Name, peer.Name, source.ToString());
    }

    private void HandleResponse(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, long now)
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
            // What waited for this session leaves from a lane (woken for it), which confirms the session too.
            _stage.ReleaseStaged(peer, wakeLane: true);
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
