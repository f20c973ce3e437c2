using RouterHost.Abstractions;

namespace RouterHost.WireGuard.Stage;

/// <summary>Why the WireGuard stage dropped a datagram or a packet; every drop is counted under one of these.</summary>
internal static class WireGuardDropReasons
{
    // Receive path (datagrams from the underlay).
    public static readonly DropReason NotWireGuard = DropReason.Register("wireguard.not_wireguard");
    public static readonly DropReason BadSize = DropReason.Register("wireguard.bad_size");
    public static readonly DropReason BadMac1 = DropReason.Register("wireguard.bad_mac1");
    public static readonly DropReason UnknownReceiver = DropReason.Register("wireguard.unknown_receiver");
    public static readonly DropReason ExpiredSession = DropReason.Register("wireguard.expired_session");
    public static readonly DropReason DecryptFailed = DropReason.Register("wireguard.decrypt_failed");
    public static readonly DropReason Replayed = DropReason.Register("wireguard.replayed");
    public static readonly DropReason BadInnerPacket = DropReason.Register("wireguard.bad_inner_packet");
    public static readonly DropReason HandshakeQueueFull = DropReason.Register("wireguard.handshake_queue_full");

    /// <summary>A transport message of a peer removed at runtime, before its sessions were zeroed.</summary>
    public static readonly DropReason RemovedPeer = DropReason.Register("wireguard.removed_peer");

    // Send path (packets routed to a peer).
    public static readonly DropReason NoEndpoint = DropReason.Register("wireguard.no_endpoint");
    public static readonly DropReason NoRoom = DropReason.Register("wireguard.no_room");
    public static readonly DropReason TooLarge = DropReason.Register("wireguard.too_large");
    public static readonly DropReason StagedOverflow = DropReason.Register("wireguard.staged_overflow");
    public static readonly DropReason HandshakeTimeout = DropReason.Register("wireguard.handshake_timeout");
    public static readonly DropReason NoSocket = DropReason.Register("wireguard.no_socket");

    // Handshake thread.
    public static readonly DropReason CookieSent = DropReason.Register("wireguard.handshake.cookie_sent");
    public static readonly DropReason RateLimited = DropReason.Register("wireguard.handshake.rate_limited");
    public static readonly DropReason BadEphemeral = DropReason.Register("wireguard.handshake.bad_ephemeral");
    public static readonly DropReason StaticDecryptFailed = DropReason.Register("wireguard.handshake.not_for_us");
    public static readonly DropReason UnknownPeer = DropReason.Register("wireguard.handshake.unknown_peer");
    public static readonly DropReason TimestampDecryptFailed = DropReason.Register("wireguard.handshake.bad_timestamp");
    public static readonly DropReason ReplayedInitiation = DropReason.Register("wireguard.handshake.replayed_initiation");
    public static readonly DropReason InitiationFlood = DropReason.Register("wireguard.handshake.flood");
    public static readonly DropReason UnexpectedResponse = DropReason.Register("wireguard.handshake.unexpected_response");
    public static readonly DropReason ResponseDecryptFailed = DropReason.Register("wireguard.handshake.bad_response");
    public static readonly DropReason BadCookieReply = DropReason.Register("wireguard.handshake.bad_cookie_reply");

    public static DropReason For(Protocol.HandshakeOutcome outcome) => outcome switch
    {
        Protocol.HandshakeOutcome.BadEphemeral => BadEphemeral,
        Protocol.HandshakeOutcome.StaticDecryptFailed => StaticDecryptFailed,
        Protocol.HandshakeOutcome.UnknownPeer => UnknownPeer,
        Protocol.HandshakeOutcome.TimestampDecryptFailed => TimestampDecryptFailed,
        Protocol.HandshakeOutcome.ReplayedTimestamp => ReplayedInitiation,
        Protocol.HandshakeOutcome.Flood => InitiationFlood,
        Protocol.HandshakeOutcome.WrongStage => UnexpectedResponse,
        Protocol.HandshakeOutcome.ResponseDecryptFailed => ResponseDecryptFailed,
        _ => DropReason.Malformed,
    };
}
