using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>The handshake thread's timers, evaluated every tick for each peer from the stamps the data path leaves.</summary>
internal sealed partial class HandshakeLoop
{
    private void Tick(WireGuardPeer peer, long now)
    {
        if (peer.Handshake.Stage == HandshakeStage.InitiationCreated && peer.RetransmitAtMs != 0 && now >= peer.RetransmitAtMs)
        {
            if (peer.HandshakeAttempts > ProtocolLimits.MaxHandshakeAttempts)
            {
                ReleaseHandshakeIndex(peer);
                peer.Handshake.Clear();
                peer.RetransmitAtMs = 0;
                int dropped = peer.Staged.Clear();
                Counters.Drop(WireGuardDropReasons.HandshakeTimeout, dropped);
                Log.GaveUp(_logger, _stage.Name, peer.Name, peer.HandshakeAttempts, dropped);
            }
            else
            {
                peer.HandshakeAttempts++;
                Counters.InitiationRetries++;
                SendInitiation(peer, retry: true, now);
            }
        }

        if (peer.Handshake.Stage == HandshakeStage.None && peer.RetransmitAtMs != 0 && now >= peer.RetransmitAtMs)
        {
            // A crossed handshake (HandleInitiation): unless the peer's first message confirmed our responder session
            // meanwhile, we initiate, so the staged packets get a session we may send on at once.
            peer.RetransmitAtMs = 0;
            if (peer.Keypairs.Next is not null && peer.Staged.Count > 0)
            {
                Counters.CrossedReinitiations++;
                SendInitiation(peer, retry: true, now);
            }
        }

        long pending = Volatile.Read(ref peer.NewHandshakePendingSinceMs);
        if (pending != 0 && now - pending >= ProtocolLimits.KeepaliveTimeoutMs + ProtocolLimits.RekeyTimeoutMs
            && Interlocked.CompareExchange(ref peer.NewHandshakePendingSinceMs, 0, pending) == pending)
        {
            // We sent data and heard nothing back for 15 s: the session may be dead on the other side.
            Log.Silent(_logger, _stage.Name, peer.Name);
            SendInitiation(peer, retry: false, now);
        }

        long keepalive = Volatile.Read(ref peer.KeepalivePendingSinceMs);
        if (keepalive != 0 && now - keepalive >= ProtocolLimits.KeepaliveTimeoutMs
            && Interlocked.CompareExchange(ref peer.KeepalivePendingSinceMs, 0, keepalive) == keepalive)
        {
            SendKeepalive(peer, now);
        }

        if (peer.PersistentKeepaliveMs > 0
            && now - Math.Max(Volatile.Read(ref peer.LastSentMs), Volatile.Read(ref peer.LastReceivedMs)) >= peer.PersistentKeepaliveMs)
        {
            SendKeepalive(peer, now);
        }

        if (peer.LastSessionDerivedMs != 0 && now - peer.LastSessionDerivedMs >= ProtocolLimits.ZeroKeyMaterialAfterMs)
        {
            peer.LastSessionDerivedMs = 0;
            EndSessions(peer, now);
            Log.Wiped(_logger, _stage.Name, peer.Name);
        }
    }
}
