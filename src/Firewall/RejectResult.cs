namespace RouterHost.Firewall;

/// <summary>What <see cref="RejectBuilder"/> made of a refused packet: a reply, or why none may be sent.</summary>
public enum RejectResult : byte
{
    /// <summary>A TCP RST was written.</summary>
    TcpReset = 1,

    /// <summary>An ICMP (type 3 code 13) or ICMPv6 (type 1 code 1) administratively-prohibited error was written.</summary>
    IcmpUnreachable = 2,

    /// <summary>The original does not parse; drop it.</summary>
    Malformed = 16,

    /// <summary>The original is an ICMP error message, which is never answered with another (RFC 1122, RFC 4443).</summary>
    IcmpError = 17,

    /// <summary>The original is a later fragment.</summary>
    LaterFragment = 18,

    /// <summary>The original's source or destination is broadcast, multicast or unspecified.</summary>
    NotUnicast = 19,

    /// <summary>The original is a TCP RST, never answered.</summary>
    OriginalIsReset = 20,

    /// <summary>The destination buffer is shorter than the reply.</summary>
    DestinationTooSmall = 21,
}
