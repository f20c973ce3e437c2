using RouterHost.Abstractions;
using RouterHost.WireGuard.Protocol;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>
/// The protocol's timers (the WireGuard paper §6), on a stage whose clock the test moves: retries, rekeying, session
/// expiry, keepalives, persistent keepalive, the new handshake after silence, and wiping old keys.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TimerTests
{
    [Fact]
    public void An_unanswered_initiation_is_retried_after_5_seconds_plus_jitter_until_20_were_sent_then_staged_packets_are_dropped()
    {
        using var h = new TimerHarness();
        Assert.Equal(PacketVerdict.Consumed, h.Send());
        h.Tick();
        Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(h.Peer.Receive()));
        h.Tick(4_999);
        Assert.Empty(h.Peer.Drain());

        int initiations = 1;
        for (int i = 0; i < 40 && h.StagePeer.Handshake.Stage == HandshakeStage.InitiationCreated; i++)
        {
            h.Tick(ProtocolLimits.RekeyTimeoutMs + ProtocolLimits.RekeyTimeoutJitterMaxMs);
            initiations += h.Peer.Drain().Count(m => MessageLayout.TypeOf(m) == MessageType.Initiation);
        }

        Assert.Equal(ProtocolLimits.MaxHandshakeAttempts + 2, initiations);
        Assert.Equal(0, h.StagePeer.Staged.Count);
        Assert.Equal(1, h.Stage.Sum().Drops[WireGuardDropReasons.HandshakeTimeout.Id]);
        h.Tick(60_000);
        Assert.Empty(h.Peer.Drain());
    }

    [Fact]
    public void A_responder_session_is_used_only_after_the_initiators_first_message_confirms_it_and_then_staged_packets_go()
    {
        using var h = new TimerHarness();
        h.Peer.Initiate(DateTimeOffset.UtcNow);
        h.Settle();
        byte[] response = h.Peer.Receive()!;
        Assert.Equal(MessageType.Response, MessageLayout.TypeOf(response));
        h.Peer.Complete(response, 0);
        Assert.Null(h.StagePeer.Keypairs.Current);
        Assert.NotNull(h.StagePeer.Keypairs.Next);

        Assert.Equal(PacketVerdict.Consumed, h.Send(80));
        Assert.Equal(1, h.StagePeer.Staged.Count);
        Assert.Empty(h.Peer.Drain());

        h.Peer.SendTransport([]);
        h.Settle();
        Assert.NotNull(h.StagePeer.Keypairs.Current);
        Assert.Null(h.StagePeer.Keypairs.Next);
        byte[]? data = h.Peer.Open(h.Peer.Receive()!);
        Assert.NotNull(data);
        Assert.Equal(80, data!.Length);
        Assert.Equal(0, h.StagePeer.Staged.Count);
    }

    [Fact]
    public void The_initiator_renews_its_session_when_it_sends_120_seconds_after_the_handshake()
    {
        using var h = Established();
        h.Tick(ProtocolLimits.RekeyAfterTimeMs - 1_000);
        Assert.Equal(PacketVerdict.Consumed, h.Send());
        h.Tick();
        Assert.All(h.Peer.Drain(), m => Assert.Equal(MessageType.Transport, MessageLayout.TypeOf(m)));

        h.Tick(1_000);
        Assert.Equal(PacketVerdict.Consumed, h.Send());
        h.Tick();
        List<byte[]> sent = h.Peer.Drain();
        Assert.Contains(sent, m => MessageLayout.TypeOf(m) == MessageType.Transport);
        Assert.Contains(sent, m => MessageLayout.TypeOf(m) == MessageType.Initiation);
    }

    [Fact]
    public void A_session_is_never_used_after_180_seconds_packets_wait_for_a_new_one_and_messages_on_it_are_refused()
    {
        using var h = Established();
        h.Tick(ProtocolLimits.RejectAfterTimeMs);
        Assert.Equal(PacketVerdict.Consumed, h.Send());
        Assert.Equal(1, h.StagePeer.Staged.Count);
        h.Tick();
        Assert.All(h.Peer.Drain(), m => Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(m)));

        h.Peer.SendTransport(TimerHarness.PlayedPeer.InnerPacket());
        h.Settle();
        Assert.Empty(h.Delivered);
    }

    [Fact]
    public void A_keepalive_follows_10_seconds_after_data_arrived_when_nothing_was_sent_back()
    {
        using var h = Established();
        h.Peer.SendTransport(TimerHarness.PlayedPeer.InnerPacket());
        h.Settle();
        Assert.Single(h.Delivered);
        h.Tick(ProtocolLimits.KeepaliveTimeoutMs - 100);
        Assert.Empty(h.Peer.Drain());
        h.Tick(200);
        byte[]? keepalive = h.Peer.Open(h.Peer.Receive()!);
        Assert.NotNull(keepalive);
        Assert.Empty(keepalive!);

        // Data sent in the meantime makes the keepalive unnecessary.
        h.Peer.SendTransport(TimerHarness.PlayedPeer.InnerPacket());
        h.Settle();
        h.Send();
        h.Peer.Drain();
        h.Tick(ProtocolLimits.KeepaliveTimeoutMs + 100);
        Assert.Empty(h.Peer.Drain());
    }

    [Fact]
    public void Persistent_keepalive_starts_the_handshake_at_once_and_then_reaches_the_peer_every_interval()
    {
        using var h = new TimerHarness(persistentKeepalive: "25s");
        h.Tick();
        byte[] initiation = h.Peer.Receive()!;
        Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(initiation));
        h.Peer.Respond(initiation, 0);
        h.Settle();
        Assert.NotNull(h.Peer.Open(h.Peer.Receive()!)); // the keepalive that confirms the session
        h.Tick(24_000);
        Assert.Empty(h.Peer.Drain());
        h.Tick(1_100);
        byte[]? keepalive = h.Peer.Open(h.Peer.Receive()!);
        Assert.NotNull(keepalive);
        Assert.Empty(keepalive!);
    }

    [Fact]
    public void Sending_for_15_seconds_without_hearing_back_starts_a_new_handshake()
    {
        using var h = Established();
        h.Send();
        h.Peer.Drain();
        h.Tick(ProtocolLimits.KeepaliveTimeoutMs + ProtocolLimits.RekeyTimeoutMs - 1_000);
        Assert.Empty(h.Peer.Drain());
        h.Tick(1_100);
        Assert.Contains(h.Peer.Drain(), m => MessageLayout.TypeOf(m) == MessageType.Initiation);
    }

    [Fact]
    public void Hearing_back_cancels_the_new_handshake_after_silence()
    {
        using var h = Established();
        h.Send();
        h.Peer.Drain();
        h.Tick(5_000);
        h.Peer.SendTransport([]);
        h.Settle();
        h.Tick(ProtocolLimits.KeepaliveTimeoutMs + ProtocolLimits.RekeyTimeoutMs);
        Assert.DoesNotContain(h.Peer.Drain(), m => MessageLayout.TypeOf(m) == MessageType.Initiation);
    }

    [Fact]
    public void Session_keys_are_wiped_540_seconds_after_the_last_handshake()
    {
        using var h = Established();
        Assert.False(h.StagePeer.Keypairs.IsEmpty);
        h.Tick(ProtocolLimits.ZeroKeyMaterialAfterMs - 1_000);
        Assert.False(h.StagePeer.Keypairs.IsEmpty);
        h.Tick(1_000);
        Assert.True(h.StagePeer.Keypairs.IsEmpty);
    }

    [Fact]
    public void A_peer_is_visited_each_tick_only_while_it_has_a_timer_from_the_first_initiation_until_its_keys_are_wiped()
    {
        using var h = new TimerHarness();
        h.Tick();
        Assert.Equal(0, h.Stage.Loop.TickingCount); // idle: no session, no retry, no keepalive

        using TimerHarness established = Established();
        Assert.Equal(1, established.Stage.Loop.TickingCount);
        established.Tick(ProtocolLimits.ZeroKeyMaterialAfterMs);
        Assert.True(established.StagePeer.Keypairs.IsEmpty);
        established.Tick(TimerHarness.TickMs);
        Assert.Equal(0, established.Stage.Loop.TickingCount);

        // Data after that starts a handshake again, with its retries: back on the list.
        Assert.Equal(PacketVerdict.Consumed, established.Send());
        established.Tick(TimerHarness.TickMs);
        Assert.Equal(1, established.Stage.Loop.TickingCount);
        Assert.Contains(established.Peer.Drain(), m => MessageLayout.TypeOf(m) == MessageType.Initiation);
    }

    [Fact]
    public void A_peer_given_a_persistent_keepalive_by_a_reload_is_found_by_the_sweep_within_a_second()
    {
        using var h = new TimerHarness();
        h.Tick();
        Assert.Equal(0, h.Stage.Loop.TickingCount);
        h.StagePeer.SetPersistentKeepalive(25_000);
        h.Tick(HandshakeLoop.SweepMs);
        Assert.Equal(1, h.Stage.Loop.TickingCount);
    }

    [Fact]
    public void An_initiator_receiving_on_a_session_older_than_165_seconds_renews_it()
    {
        using var h = Established();
        h.Tick(ProtocolLimits.RekeyOnReceiveAfterMs);
        h.Peer.SendTransport(TimerHarness.PlayedPeer.InnerPacket());
        h.Settle();
        Assert.Single(h.Delivered);
        Assert.Contains(h.Peer.Drain(), m => MessageLayout.TypeOf(m) == MessageType.Initiation);
    }

    [Fact]
    public void After_a_new_handshake_the_old_session_still_decrypts_packets_in_flight()
    {
        using var h = Established();
        Keypair first = h.StagePeer.Keypairs.Current!;
        Keypair peerFirst = h.Peer.Session!;
        h.Tick(ProtocolLimits.RekeyAfterTimeMs);
        h.Send();
        h.Tick();
        byte[] initiation = h.Peer.Drain().Single(m => MessageLayout.TypeOf(m) == MessageType.Initiation);
        h.Peer.Respond(initiation, 0);
        h.Settle();
        Assert.Same(first, h.StagePeer.Keypairs.Previous);
        Assert.NotSame(first, h.StagePeer.Keypairs.Current);
        _ = peerFirst;
    }

    /// <summary>A harness whose stage initiated a session with the played peer (the stage is the initiator).</summary>
    [Fact]
    public void Crossed_initiations_are_settled_by_a_new_initiation_without_waiting_for_the_5_second_retry()
    {
        using var h = new TimerHarness();
        Assert.Equal(PacketVerdict.Consumed, h.Send(80));
        h.Tick();
        byte[] ours = h.Peer.Receive()!;
        Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(ours));

        // The peer initiated at the same moment, before ours reached it: the stage answers it (as responder)...
        h.Peer.Initiate(DateTimeOffset.UtcNow);
        h.Settle();
        Assert.Equal(MessageType.Response, MessageLayout.TypeOf(h.Peer.Receive()!));
        // ...and the peer, as wireguard-go does, answers ours, dropping its own handshake (so the stage's response is
        // thrown away) and waits as responder too. The stage refuses that response: its own initiation was replaced.
        h.Peer.Respond(ours, h.Now);
        h.Settle();
        Assert.Null(h.StagePeer.Keypairs.Current);
        Assert.Equal(1, h.StagePeer.Staged.Count);

        byte[]? again = null;
        long waited = 0;
        while (again is null && waited < ProtocolLimits.RekeyTimeoutMs)
        {
            h.Tick(TimerHarness.TickMs);
            waited += TimerHarness.TickMs;
            again = h.Peer.Drain().Find(m => MessageLayout.TypeOf(m) == MessageType.Initiation);
        }

        Assert.NotNull(again); // before the fix: nothing until the peer's 5 s retry
        h.Peer.Respond(again!, h.Now);
        h.Settle();
        byte[]? data = h.Peer.Open(h.Peer.Receive()!);
        Assert.NotNull(data);
        Assert.Equal(80, data!.Length);
        WireGuardCounters counters = h.Stage.Sum();
        Assert.Equal(0, counters.InitiationRetries);
        Assert.Equal(1, counters.CrossedReinitiations);
    }

    [Fact]
    public void Packets_staged_while_we_initiated_leave_from_the_lane_that_reads_the_peers_datagrams()
    {
        // Two sockets on the port: the kernel gives the peer's datagrams to one of them by a hash of the addresses.
        // Played peers (each on a port of its own) are tried until one lands on the second, so the first lane —
        // which used to send every released packet — is not the peer's.
        for (int attempt = 0; attempt < 24; attempt++)
        {
            using var h = new TimerHarness(sockets: 2);
            Assert.Equal(PacketVerdict.Consumed, h.Send(80));
            h.Tick();
            byte[] initiation = h.Peer.Receive()!;
            Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(initiation));
            h.Peer.Respond(initiation, h.Now);
            h.Settle();
            byte[]? data = h.Peer.Open(h.Peer.Receive()!);
            Assert.NotNull(data);
            Assert.Equal(80, data!.Length);
            if (h.ReceiveWorkers[1].Counters.HandshakesQueued == 0)
            {
                continue; // the response came in on the first socket: no evidence either way
            }

            Assert.Equal(1, h.ReceiveWorkers[1].Counters.StagedSent);
            Assert.Equal(0, h.ReceiveWorkers[0].Counters.StagedSent);
            return;
        }

        Assert.Fail("no played peer's datagrams reached the stage's second socket in 24 tries");
    }

    private static TimerHarness Established()
    {
        var h = new TimerHarness();
        h.Send();
        h.Tick();
        byte[] initiation = h.Peer.Receive()!;
        Assert.Equal(MessageType.Initiation, MessageLayout.TypeOf(initiation));
        h.Peer.Respond(initiation, 0);
        h.Settle();
        Assert.NotNull(h.StagePeer.Keypairs.Current);
        Assert.NotNull(h.Peer.Open(h.Peer.Receive()!)); // the staged packet
        h.Peer.SendTransport([]); // the peer's keepalive: it heard us
        h.Settle();
        return h;
    }
}
