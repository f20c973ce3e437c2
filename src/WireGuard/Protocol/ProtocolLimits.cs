namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// The protocol's timers and limits (the WireGuard paper §6.1, wireguard-go <c>device/constants.go</c>).
/// Times are in milliseconds of a monotonic clock.
/// </summary>
public static class ProtocolLimits
{
    /// <summary>A session older than this is renewed by its initiator when it next sends (120 s).</summary>
    public const long RekeyAfterTimeMs = 120_000;

    /// <summary>A session older than this is never used again (180 s).</summary>
    public const long RejectAfterTimeMs = 180_000;

    /// <summary>How long an initiator keeps retrying a handshake before giving up (90 s).</summary>
    public const long RekeyAttemptTimeMs = 90_000;

    /// <summary>How long to wait for a response before sending a new initiation (5 s, plus jitter).</summary>
    public const long RekeyTimeoutMs = 5_000;

    /// <summary>The jitter added to <see cref="RekeyTimeoutMs"/>: up to a third of a second.</summary>
    public const int RekeyTimeoutJitterMaxMs = 334;

    /// <summary>After receiving data and sending nothing for this long, send a keepalive (10 s).</summary>
    public const long KeepaliveTimeoutMs = 10_000;

    /// <summary>Initiations retried at most this many times (RekeyAttemptTime / RekeyTimeout).</summary>
    public const int MaxHandshakeAttempts = (int)(RekeyAttemptTimeMs / RekeyTimeoutMs);

    /// <summary>A received cookie is used for MAC2 for this long; the cookie secret rotates this often (120 s).</summary>
    public const long CookieRefreshTimeMs = 120_000;

    /// <summary>Initiations from one peer closer together than this are refused (flood protection, 20 ms).</summary>
    public const long InitiationMinimumIntervalMs = 20;

    /// <summary>
    /// Crossed handshakes (each side answered the other's initiation, so both wait as responders for a first transport
    /// message): the side whose static public key is greater initiates again this long after answering, the other
    /// <see cref="CrossedReinitiateLaterMs"/>. Past the 20 ms flood window and a step of the whitened TAI64N timestamp, so
    /// the peer (wireguard-go, the kernel, RouterHost) accepts it; far below <see cref="RekeyTimeoutMs"/>.
    /// </summary>
    public const long CrossedReinitiateMs = 50;

    /// <summary>The side with the lesser public key's delay for a crossed handshake (see <see cref="CrossedReinitiateMs"/>).</summary>
    public const long CrossedReinitiateLaterMs = 150;

    /// <summary>A session is renewed after this many messages (2^60).</summary>
    public const ulong RekeyAfterMessages = 1UL << 60;

    /// <summary>A session stops after this many messages (2^64 − 2^13 − 1).</summary>
    public const ulong RejectAfterMessages = ulong.MaxValue - (1UL << 13);

    /// <summary>Key material of a silent peer is wiped this long after the last session was derived (540 s).</summary>
    public const long ZeroKeyMaterialAfterMs = RejectAfterTimeMs * 3;

    /// <summary>
    /// An initiator that receives on a session this old starts a new handshake, so the session is renewed before it
    /// expires even when only the other side sends (RejectAfterTime − KeepaliveTimeout − RekeyTimeout = 165 s).
    /// </summary>
    public const long RekeyOnReceiveAfterMs = RejectAfterTimeMs - KeepaliveTimeoutMs - RekeyTimeoutMs;
}
