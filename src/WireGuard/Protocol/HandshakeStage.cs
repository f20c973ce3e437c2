namespace RouterHost.WireGuard.Protocol;

/// <summary>Where a peer's handshake stands.</summary>
public enum HandshakeStage
{
    /// <summary>No handshake under way.</summary>
    None,

    /// <summary>We sent an initiation and wait for the response.</summary>
    InitiationCreated,

    /// <summary>We accepted the peer's initiation and are about to respond.</summary>
    InitiationConsumed,

    /// <summary>We sent our response; the session exists but is confirmed only by the peer's first transport message.</summary>
    ResponseCreated,

    /// <summary>We accepted the peer's response; the session can be derived.</summary>
    ResponseConsumed,
}
