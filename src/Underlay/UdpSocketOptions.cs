using System.Net;

namespace RouterHost.Underlay;

/// <summary>
/// How to open a <see cref="UdpSocket"/>. The address's family is the socket's: <see cref="IPAddress.Any"/> opens
/// an IPv4 socket on every address, <see cref="IPAddress.IPv6Any"/> an IPv6 one (dual stack when
/// <see cref="V6Only"/> is false). An IPv4-mapped IPv6 address opens an IPv4 socket.
/// </summary>
/// <param name="Address">The local address to bind.</param>
/// <param name="Port">The local port; 0 lets the kernel choose (see <see cref="UdpSocket.LocalEndpoint"/>).</param>
public sealed record UdpSocketOptions(IPAddress Address, ushort Port = 0)
{
    /// <summary>The default size of each socket buffer asked for (the kernel books twice this; see <see cref="UdpSocket.ReceiveBufferBytes"/>).</summary>
    public const int DefaultBufferBytes = 8 << 20;

    /// <summary>
    /// <c>SO_REUSEPORT</c>: several sockets that all set it may bind the same address and port; the kernel spreads
    /// incoming flows over them by hash (one socket per runner lane).
    /// </summary>
    public bool ReusePort { get; init; }

    /// <summary>Receive buffer to ask for, in bytes; 0 keeps the kernel's default.</summary>
    public int ReceiveBufferBytes { get; init; } = DefaultBufferBytes;

    /// <summary>Send buffer to ask for, in bytes; 0 keeps the kernel's default.</summary>
    public int SendBufferBytes { get; init; } = DefaultBufferBytes;

    /// <summary><c>UDP_GRO</c>: let the kernel hand over runs of datagrams from one flow as one coalesced read.</summary>
    public bool Gro { get; init; } = true;

    /// <summary><c>UDP_SEGMENT</c>: send runs of equal-sized datagrams to one destination as one message.</summary>
    public bool Gso { get; init; } = true;

    /// <summary>
    /// For an IPv6 socket: <c>IPV6_V6ONLY</c>. When false the socket is dual stack and IPv4 peers appear as IPv4
    /// endpoints (their v4-mapped addresses are normalised). Set explicitly either way, so the
    /// <c>net.ipv6.bindv6only</c> sysctl does not decide.
    /// </summary>
    public bool V6Only { get; init; } = true;

    /// <summary>A named network namespace (or an absolute <c>/proc/.../ns/net</c> path) to open the socket in; null: here.</summary>
    public string? NetworkNamespace { get; init; }

    /// <summary>
    /// <c>SO_MARK</c>: the firewall mark every datagram the socket sends carries (0: none), so policy routing can route the
    /// tunnel's own UDP apart from what goes into the tunnel (a full tunnel, as wg-quick's <c>FwMark</c>). Needs CAP_NET_ADMIN.
    /// </summary>
    public uint FirewallMark { get; init; }
}
