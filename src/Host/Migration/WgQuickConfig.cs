using System.Net;

namespace RouterHost.Migration;

/// <summary>A place in a wg-quick file and what is wrong (or worth knowing) there: "wg0.conf:7: ...".</summary>
/// <param name="File">The file's name as the user gave it.</param>
/// <param name="Line">The 1-based line, or 0 for the file as a whole.</param>
/// <param name="Message">What is wrong and how to fix it.</param>
internal sealed record WgQuickProblem(string File, int Line, string Message)
{
    /// <inheritdoc />
    public override string ToString() => Line > 0 ? $"{File}:{Line}: {Message}" : $"{File}: {Message}";
}

/// <summary>A value and the line it came from.</summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Value">The value.</param>
/// <param name="Line">The 1-based line it was read from.</param>
internal readonly record struct Located<T>(T Value, int Line);

/// <summary>An address of the interface (<c>Address = 10.0.0.1/24</c>): the address as written and its prefix length.</summary>
/// <param name="Address">The address.</param>
/// <param name="PrefixLength">Its prefix length (32 or 128 when none was written, as <c>ip address add</c> takes it).</param>
/// <param name="Line">The line it came from.</param>
internal sealed record WgQuickAddress(IPAddress Address, int PrefixLength, int Line)
{
    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>One allowed prefix of a peer, host bits cleared (wg warns about them and clears them too).</summary>
/// <param name="Network">The network address.</param>
/// <param name="PrefixLength">The prefix length.</param>
/// <param name="Line">The line it came from.</param>
internal sealed record WgQuickPrefix(IPAddress Network, int PrefixLength, int Line)
{
    /// <inheritdoc />
    public override string ToString() => $"{Network}/{PrefixLength}";
}

/// <summary>A peer's endpoint: a host (an IP address or a DNS name) and a port.</summary>
/// <param name="Host">The host: an IPv4 or IPv6 address (without brackets) or a DNS name.</param>
/// <param name="Port">The UDP port, 1..65535.</param>
/// <param name="Line">The line it came from.</param>
internal sealed record WgQuickEndpoint(string Host, int Port, int Line)
{
    /// <summary>The endpoint as RouterHost's <c>Endpoint</c> setting and wg write it: IPv6 in brackets.</summary>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>A wg-quick-only setting RouterHost does not carry over (DNS, the hooks, SaveConfig), as written.</summary>
/// <param name="Key">The key as wg-quick names it (<c>PostUp</c>).</param>
/// <param name="Value">The value as written.</param>
/// <param name="Line">The line it came from.</param>
internal sealed record WgQuickDropped(string Key, string Value, int Line);

/// <summary>One <c>[Peer]</c> section.</summary>
internal sealed class WgQuickPeer
{
    /// <summary>The line of its <c>[Peer]</c> header.</summary>
    public required int Line { get; init; }

    /// <summary>Its public key (32 bytes), or null when the section has none (an error).</summary>
    public Located<byte[]>? PublicKey { get; set; }

    /// <summary>Whether a PublicKey line was there (valid or not).</summary>
    public bool PublicKeyGiven { get; set; }

    /// <summary>Its preshared key (32 bytes), if any.</summary>
    public Located<byte[]>? PresharedKey { get; set; }

    /// <summary>Its allowed prefixes, in file order, duplicates removed.</summary>
    public List<WgQuickPrefix> AllowedIPs { get; } = [];

    /// <summary>Where to reach it, if known.</summary>
    public WgQuickEndpoint? Endpoint { get; set; }

    /// <summary>Seconds between keepalives (0 = off), if given.</summary>
    public Located<int>? PersistentKeepalive { get; set; }
}

/// <summary>
/// A wg-quick configuration file (wg-quick(8)): the <c>[Interface]</c> keys <c>wg setconf</c> reads (PrivateKey,
/// ListenPort, FwMark), the ones wg-quick itself reads (Address, MTU, DNS, Table, the hooks, SaveConfig), and the
/// <c>[Peer]</c> sections. Built by <see cref="WgQuickParser"/>.
/// </summary>
internal sealed class WgQuickConfig
{
    /// <summary>The file's name as given (used in messages).</summary>
    public required string File { get; init; }

    /// <summary>The line of the <c>[Interface]</c> header (0 when there is none).</summary>
    public int InterfaceLine { get; set; }

    /// <summary>This node's private key (32 bytes).</summary>
    public Located<byte[]>? PrivateKey { get; set; }

    /// <summary>Whether a PrivateKey line was there (valid or not).</summary>
    public bool PrivateKeyGiven { get; set; }

    /// <summary>The UDP port, if given (0 = any).</summary>
    public Located<int>? ListenPort { get; set; }

    /// <summary>The firewall mark, if given (0 = off).</summary>
    public Located<uint>? FwMark { get; set; }

    /// <summary>The interface's addresses.</summary>
    public List<WgQuickAddress> Addresses { get; } = [];

    /// <summary>The interface MTU, if given.</summary>
    public Located<int>? Mtu { get; set; }

    /// <summary>The routing table: <c>off</c>, <c>auto</c>, a number or a table name, if given.</summary>
    public Located<string>? Table { get; set; }

    /// <summary>DNS, PreUp, PostUp, PreDown, PostDown and SaveConfig lines, in file order.</summary>
    public List<WgQuickDropped> NotCarried { get; } = [];

    /// <summary>The peers, in file order.</summary>
    public List<WgQuickPeer> Peers { get; } = [];
}
