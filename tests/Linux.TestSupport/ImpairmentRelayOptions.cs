using System.Net;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// Where an <see cref="ImpairmentRelay"/> listens and forwards, and what it does each way. The relay's client is
/// whoever sent to <see cref="Listen"/> last (the return path is remembered); its server is <see cref="Server"/>.
/// </summary>
public sealed record ImpairmentRelayOptions
{
    /// <summary>The address and port clients send to (the client-facing socket).</summary>
    public required IPEndPoint Listen { get; init; }

    /// <summary>Where datagrams from the client go.</summary>
    public required IPEndPoint Server { get; init; }

    /// <summary>The server-facing socket's address (port 0: any); by default <see cref="Listen"/>'s address, any port.</summary>
    public IPEndPoint? ServerFacing { get; init; }

    /// <summary>What happens to datagrams from the client on their way to the server.</summary>
    public Impairment TowardServer { get; init; } = Impairment.None;

    /// <summary>What happens to datagrams from the server on their way back to the client.</summary>
    public Impairment TowardClient { get; init; } = Impairment.None;

    /// <summary>Seeds the generators (one per direction) every impairment is drawn from.</summary>
    public int Seed { get; init; }

    /// <summary>Which datagrams may be impaired (null: all); the others are forwarded untouched and at once.</summary>
    public DatagramFilter? Impairable { get; init; }

    /// <summary>
    /// The first byte corruption may flip: the bytes before it stay intact (a header the receiver needs to find the
    /// datagram's session, so the damage is found by authentication, not by a lookup).
    /// </summary>
    public int CorruptFrom { get; init; }

    /// <summary>How many datagrams each direction may hold for a delay at once; a datagram past that goes at once (counted).</summary>
    public int HoldCapacity { get; init; } = 1024;
}
