namespace RouterHost.WireGuard.Protocol;

/// <summary>
/// The four WireGuard messages. On the wire the type is the first byte and the next three are zero: the first
/// four bytes read as a little-endian <see cref="uint"/> equal the type exactly, or the datagram is not WireGuard.
/// </summary>
public enum MessageType : uint
{
    /// <summary>Not a WireGuard message.</summary>
    None = 0,

    /// <summary>Handshake initiation (148 bytes).</summary>
    Initiation = 1,

    /// <summary>Handshake response (92 bytes).</summary>
    Response = 2,

    /// <summary>Cookie reply (64 bytes), sent instead of a response when the responder is under load.</summary>
    CookieReply = 3,

    /// <summary>Transport data (16-byte header, then ciphertext and tag; 32 bytes for a keepalive).</summary>
    Transport = 4,
}
