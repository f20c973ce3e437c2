using RouterHost.Abstractions;

namespace RouterHost.Underlay;

/// <summary>
/// Why the underlay dropped a datagram: on receive (counted in <see cref="PacketBatch.ReadDrops"/>) and on send
/// (counted in the <see cref="DropTally"/> given to <see cref="UdpBatchSender.Flush"/>), one count per datagram.
/// </summary>
public static class UnderlayDropReasons
{
    /// <summary>A datagram larger than the receive slot (<c>MSG_TRUNC</c>): its tail is gone, so all of it is dropped.</summary>
    public static readonly DropReason Truncated = DropReason.Register("underlay.truncated");

    /// <summary>A datagram with no payload.</summary>
    public static readonly DropReason Empty = DropReason.Register("underlay.empty");

    /// <summary>The control data did not fit (<c>MSG_CTRUNC</c>): the GRO segment size or the local address may be missing.</summary>
    public static readonly DropReason ControlTruncated = DropReason.Register("underlay.control.truncated");

    /// <summary>A control message whose length runs outside the control buffer or is shorter than its header.</summary>
    public static readonly DropReason ControlMalformed = DropReason.Register("underlay.control.malformed");

    /// <summary>A <c>UDP_GRO</c> control message that is not one <c>int</c> from 1 to 65535.</summary>
    public static readonly DropReason GroBadSegmentSize = DropReason.Register("underlay.gro.bad_segment_size");

    /// <summary>The sender's address was neither <c>sockaddr_in</c> nor <c>sockaddr_in6</c>.</summary>
    public static readonly DropReason BadSource = DropReason.Register("underlay.bad_source");

    /// <summary>The socket reported an error instead of a datagram (a pending ICMP error, memory pressure).</summary>
    public static readonly DropReason ReceiveError = DropReason.Register("underlay.receive.error");

    /// <summary>ECONNREFUSED: the peer's port is closed (reported for an earlier datagram).</summary>
    public static readonly DropReason SendRefused = DropReason.Register("underlay.send.refused");

    /// <summary>EHOSTUNREACH / EHOSTDOWN: no way to the host (an unreachable route, no neighbour).</summary>
    public static readonly DropReason SendHostUnreachable = DropReason.Register("underlay.send.host_unreachable");

    /// <summary>ENETUNREACH / ENETDOWN: no route to the destination's network.</summary>
    public static readonly DropReason SendNetworkUnreachable = DropReason.Register("underlay.send.network_unreachable");

    /// <summary>EMSGSIZE: larger than a UDP datagram or the path can carry.</summary>
    public static readonly DropReason SendTooLarge = DropReason.Register("underlay.send.too_large");

    /// <summary>EAGAIN: the socket's send buffer was full (only with a send timeout; sends block otherwise).</summary>
    public static readonly DropReason SendWouldBlock = DropReason.Register("underlay.send.would_block");

    /// <summary>ENOBUFS / ENOMEM: the kernel had no memory or queue room for it.</summary>
    public static readonly DropReason SendNoBuffers = DropReason.Register("underlay.send.no_buffers");

    /// <summary>EACCES / EPERM: a prohibit route or a firewall refused it.</summary>
    public static readonly DropReason SendProhibited = DropReason.Register("underlay.send.prohibited");

    /// <summary>EAFNOSUPPORT: an IPv6 destination on an IPv4 socket (or IPv4 on an IPv6-only one).</summary>
    public static readonly DropReason SendAddressFamily = DropReason.Register("underlay.send.address_family");

    /// <summary>EADDRNOTAVAIL: the destination or source address cannot be used (e.g. port 0).</summary>
    public static readonly DropReason SendAddressUnavailable = DropReason.Register("underlay.send.address_unavailable");

    /// <summary>EINVAL: the kernel refused the message (a blackhole route, a bad address).</summary>
    public static readonly DropReason SendInvalid = DropReason.Register("underlay.send.invalid");

    /// <summary>A datagram queued with <see cref="UdpEndpoint.None"/> as its destination.</summary>
    public static readonly DropReason SendNoDestination = DropReason.Register("underlay.send.no_destination");

    /// <summary>Any other send error.</summary>
    public static readonly DropReason SendFailed = DropReason.Register("underlay.send.failed");
}
