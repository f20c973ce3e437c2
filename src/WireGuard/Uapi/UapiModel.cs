using System.Net;

namespace RouterHost.WireGuard.Uapi;

/// <summary>
/// The errno values a UAPI reply carries (<c>errno=N</c>), negative as wireguard-go sends them and as <c>wg</c> reads
/// them: <c>wg</c> turns <c>errno=-22</c> into "Invalid argument".
/// </summary>
internal static class UapiErrno
{
    public const int Ok = 0;

    /// <summary>Reading the request failed (wireguard-go: a line longer than 64 KiB; here also a request over the size cap).</summary>
    public const int Io = -Linux.Errno.EIO;

    /// <summary>A line of a <c>set</c> body without '='.</summary>
    public const int Protocol = -Linux.Errno.EPROTO;

    /// <summary>An unknown key or a value that does not parse (wireguard-go's answer for every bad key or value).</summary>
    public const int Invalid = -Linux.Errno.EINVAL;

    /// <summary>The listen port or fwmark could not be applied (wireguard-go: rebinding failed).</summary>
    public const int PortInUse = -Linux.Errno.EADDRINUSE;

    /// <summary>Any other failure (wireguard-go's "other UAPI error").</summary>
    public const int Unknown = -Linux.Errno.ENOANO;
}

/// <summary>The outcome of a parse or an apply: 0, or a negative errno with a message saying what and where.</summary>
/// <param name="Errno">0 or a negative <see cref="UapiErrno"/> value.</param>
/// <param name="Message">What went wrong (null on success).</param>
internal readonly record struct UapiResult(int Errno, string? Message)
{
    public static UapiResult Success => new(UapiErrno.Ok, null);

    public bool Succeeded => Errno == UapiErrno.Ok;
}

/// <summary>One <c>allowed_ip</c> line: a canonical prefix ("10.2.0.0/16", host bits cleared) to add or remove.</summary>
/// <param name="Prefix">The canonical prefix.</param>
/// <param name="Remove">True for <c>allowed_ip=-prefix</c> (wireguard-go 0.0.20250522 and later).</param>
internal readonly record struct UapiAllowedIp(string Prefix, bool Remove);

/// <summary>
/// One peer section of a <c>set</c> body: the <c>public_key</c> line and the lines after it, in order (wireguard-go
/// applies them one by one, so <c>update_only</c>, <c>remove</c> and <c>replace_allowed_ips</c> act where they stand).
/// </summary>
internal sealed record UapiPeerOperation
{
    /// <summary>The peer's public key (32 bytes).</summary>
    public required byte[] PublicKey { get; init; }

    /// <summary>Every line of the section after <c>public_key</c>, in order.</summary>
    public List<UapiPeerStep> Steps { get; } = [];
}

/// <summary>What one line of a peer section does.</summary>
internal enum UapiPeerStepKind
{
    UpdateOnly,
    Remove,
    PresharedKey,
    Endpoint,
    PersistentKeepalive,
    ReplaceAllowedIps,
    AllowedIp,
    ProtocolVersion,
}

/// <summary>One line of a peer section, in order.</summary>
/// <param name="Kind">Which key.</param>
/// <param name="AllowedIp">For <see cref="UapiPeerStepKind.AllowedIp"/>.</param>
/// <param name="Endpoint">For <see cref="UapiPeerStepKind.Endpoint"/>.</param>
/// <param name="Number">For <see cref="UapiPeerStepKind.PersistentKeepalive"/>.</param>
/// <param name="Key">For <see cref="UapiPeerStepKind.PresharedKey"/> (32 bytes).</param>
internal readonly record struct UapiPeerStep(UapiPeerStepKind Kind, UapiAllowedIp AllowedIp = default, IPEndPoint? Endpoint = null, int Number = 0, byte[]? Key = null);

/// <summary>
/// A parsed <c>set=1</c> request: the device-level changes (which wireguard-go accepts only before the first
/// <c>public_key</c>), then the peer sections in order (one peer may have several).
/// </summary>
internal sealed record UapiSetRequest
{
    /// <summary><c>private_key</c> (32 bytes; all zero removes the key).</summary>
    public byte[]? PrivateKey { get; set; }

    public int? ListenPort { get; set; }

    public uint? Fwmark { get; set; }

    /// <summary><c>replace_peers=true</c>: every peer is removed before the sections apply.</summary>
    public bool ReplacePeers { get; set; }

    public List<UapiPeerOperation> Peers { get; } = [];
}

/// <summary>One peer as a <c>get=1</c> reply shows it.</summary>
/// <param name="PublicKey">32 bytes.</param>
/// <param name="PresharedKey">32 bytes, all zero when none.</param>
/// <param name="Endpoint">Where the peer is, or null.</param>
/// <param name="LastHandshakeUnixSeconds">Wall-clock seconds of the latest handshake (0 = never).</param>
/// <param name="LastHandshakeNanoseconds">Its nanoseconds part.</param>
/// <param name="TxBytes">Bytes sent to the peer.</param>
/// <param name="RxBytes">Bytes received from it.</param>
/// <param name="PersistentKeepalive">Seconds (0 = off).</param>
/// <param name="AllowedIps">Canonical prefixes.</param>
internal sealed record UapiPeerSnapshot(
    byte[] PublicKey,
    byte[] PresharedKey,
    IPEndPoint? Endpoint,
    long LastHandshakeUnixSeconds,
    long LastHandshakeNanoseconds,
    long TxBytes,
    long RxBytes,
    int PersistentKeepalive,
    IReadOnlyList<string> AllowedIps);

/// <summary>The device as a <c>get=1</c> reply shows it.</summary>
/// <param name="PrivateKey">32 bytes (all zero: none, and the line is left out).</param>
/// <param name="ListenPort">0: left out.</param>
/// <param name="Fwmark">0: left out.</param>
/// <param name="Peers">Every peer.</param>
internal sealed record UapiDeviceSnapshot(byte[] PrivateKey, int ListenPort, uint Fwmark, IReadOnlyList<UapiPeerSnapshot> Peers);

/// <summary>
/// What a UAPI socket serves: a device that can be read (<c>get=1</c>) and changed (<c>set=1</c>). Both are called
/// off the data path, one at a time (the server serialises them).
/// </summary>
internal interface IUapiDevice
{
    /// <summary>The device's state now.</summary>
    UapiDeviceSnapshot Snapshot();

    /// <summary>Applies a parsed request: all of it, or (on an error) nothing.</summary>
    UapiResult Apply(UapiSetRequest request);
}
