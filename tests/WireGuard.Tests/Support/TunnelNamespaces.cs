using System.Net;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>
/// Two network namespaces joined by a veth pair, the underlay of a tunnel test: A (192.168.77.1/24, fd77::1/64) and
/// B (192.168.77.2/24, fd77::2/64). Each side's tunnel endpoint (RouterHost or wireguard-go) gets an overlay address
/// of 10.88.0.0/24 and fd88::/64. Disposing the pair removes everything.
/// </summary>
internal static class TunnelNamespaces
{
    public static readonly IPAddress UnderlayA4 = IPAddress.Parse("192.168.77.1");
    public static readonly IPAddress UnderlayB4 = IPAddress.Parse("192.168.77.2");
    public static readonly IPAddress UnderlayA6 = IPAddress.Parse("fd77::1");
    public static readonly IPAddress UnderlayB6 = IPAddress.Parse("fd77::2");
    public static readonly IPAddress OverlayA4 = IPAddress.Parse("10.88.0.1");
    public static readonly IPAddress OverlayB4 = IPAddress.Parse("10.88.0.2");
    public static readonly IPAddress OverlayA6 = IPAddress.Parse("fd88::1");
    public static readonly IPAddress OverlayB6 = IPAddress.Parse("fd88::2");

    public static NamespacePair Create(string prefix) =>
        NamespacePair.Create(prefix, "ul0", "ul0", ["192.168.77.1/24", "fd77::1/64"], ["192.168.77.2/24", "fd77::2/64"]);

    /// <summary>"192.168.77.1:port" or "[fd77::1]:port" for side A or B.</summary>
    public static string Endpoint(bool sideA, bool ipv6, int port) =>
        ipv6 ? $"[{(sideA ? UnderlayA6 : UnderlayB6)}]:{port}" : $"{(sideA ? UnderlayA4 : UnderlayB4)}:{port}";

    /// <summary>Pings <paramref name="target"/> from <paramref name="from"/>; true when every echo came back.</summary>
    public static ExecResult Ping(NetworkNamespace from, IPAddress target, int count = 3) =>
        from.Exec(TimeSpan.FromSeconds(30), "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-W", "5", target.ToString());

    /// <summary>
    /// Pings until <paramref name="count"/> echoes came back, for at most 15 s: for the first packets through a hub,
    /// where both ends may initiate a handshake at the same moment (wireguard-go initiates when it is configured; the
    /// hub when the first packet arrives). Each then answers the other's initiation and waits, as responder, for the
    /// other to send first; the initiator's retry after REKEY_TIMEOUT (5 s) settles it — the protocol's behaviour in
    /// wireguard-go and the kernel too, and longer than <see cref="Ping"/> waits.
    /// </summary>
    public static ExecResult PingUntilAnswered(NetworkNamespace from, IPAddress target, int count = 3) =>
        from.Exec(TimeSpan.FromSeconds(30), "ping", "-c", count.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "0.2", "-w", "15", target.ToString());
}
