using System.Security.Cryptography;
using RouterHost.Abstractions;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// The handshake thread's sends: initiations and keepalives (flushed once per round). Packets staged for a session
/// leave from a lane (<see cref="WireGuardStage.ReleaseStaged"/>).
/// </summary>
internal sealed partial class HandshakeLoop
{
    private void SendInitiation(WireGuardPeer peer, bool retry, long now)
    {
        PeerEndpoint? endpoint = peer.Endpoint;
        if (endpoint is null)
        {
            return; // it has to reach us first
        }

        if (!retry)
        {
            if (peer.LastInitiationSentMs != 0 && now - peer.LastInitiationSentMs < ProtocolLimits.RekeyTimeoutMs)
            {
                return; // one is under way; its retry timer covers it
            }

            peer.HandshakeAttempts = 0;
        }

        ReleaseHandshakeIndex(peer);
        var entry = new IndexEntry(peer, null);
        uint index = _stage.Indices.Add(entry);
        Span<byte> message = _reply.AsSpan(0, MessageLayout.InitiationSize);
        if (!NoiseHandshake.CreateInitiation(_stage.Local, peer.Identity, peer.Handshake, index, DateTimeOffset.UtcNow, message))
        {
            _stage.Indices.Remove(index, entry);
            return;
        }

        peer.HandshakeIndex = index;
        peer.HandshakeEntry = entry;
        peer.Cookies.AddMacs(message, now);
        peer.LastInitiationSentMs = now;
        peer.RetransmitAtMs = now + ProtocolLimits.RekeyTimeoutMs + RandomNumberGenerator.GetInt32(ProtocolLimits.RekeyTimeoutJitterMaxMs);
        Arm(peer);
        if (_sender.SendMessage(endpoint.Remote, endpoint.Local, message).IsNone)
        {
            Counters.InitiationsSent++;
            peer.OnSent(now);
        }
    }

    private void SendKeepalive(WireGuardPeer peer, long now)
    {
        Keypair? keypair = peer.Keypairs.Current;
        PeerEndpoint? endpoint = peer.Endpoint;
        if (keypair is null || keypair.IsExpired(now) || endpoint is null)
        {
            SendInitiation(peer, retry: false, now);
            return;
        }

        DropReason result = _sender.SendKeepalive(peer, keypair, endpoint);
        if (result.IsNone)
        {
            Counters.KeepalivesSent++;
            peer.OnSent(now);
        }
        else if (result == WireGuardDropReasons.ExpiredSession)
        {
            SendInitiation(peer, retry: false, now);
        }
        else
        {
            Counters.Drop(result);
        }
    }
}
