namespace RouterHost.WireGuard.Protocol;

/// <summary>What became of a handshake message.</summary>
public enum HandshakeOutcome
{
    /// <summary>Accepted.</summary>
    Accepted,

    /// <summary>An ephemeral key that yields no shared secret (a low-order point).</summary>
    BadEphemeral,

    /// <summary>The initiation's static key did not decrypt: not meant for us, or tampered with.</summary>
    StaticDecryptFailed,

    /// <summary>The initiator's static key is not one of our peers.</summary>
    UnknownPeer,

    /// <summary>The timestamp did not decrypt.</summary>
    TimestampDecryptFailed,

    /// <summary>The timestamp is not later than the last accepted one from this peer (a replayed initiation).</summary>
    ReplayedTimestamp,

    /// <summary>An initiation came too soon after the last accepted one from this peer.</summary>
    Flood,

    /// <summary>The handshake is not at the stage this message needs (a response without our initiation).</summary>
    WrongStage,

    /// <summary>The response's empty payload did not authenticate.</summary>
    ResponseDecryptFailed,
}
