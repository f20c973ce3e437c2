using System.Diagnostics;

namespace RouterHost.Firewall;

/// <summary>
/// Size and timeouts of a <see cref="ConntrackTable"/>. The defaults follow Linux nf_conntrack, except the
/// established TCP timeout, which is OpenWrt's 7440 s rather than five days so a bounded table does not fill
/// with connections that died silently.
/// </summary>
public sealed record ConntrackOptions
{
    /// <summary>The most connections tracked at once (rounded up to a power of two, at least 64).</summary>
    public int Capacity { get; init; } = 65536;

    /// <summary>
    /// Whether an insert into a full bucket may evict an established connection when no unreplied or closing one
    /// is there. Off by default: as in Linux (early_drop), new connections are refused rather than live ones broken.
    /// </summary>
    public bool EvictEstablishedWhenFull { get; init; }

    /// <summary>TCP after the first SYN.</summary>
    public TimeSpan TcpSynSent { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP after the SYN+ACK.</summary>
    public TimeSpan TcpSynReceived { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Established TCP.</summary>
    public TimeSpan TcpEstablished { get; init; } = TimeSpan.FromSeconds(7440);

    /// <summary>TCP after one FIN.</summary>
    public TimeSpan TcpClosing { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP after both FINs.</summary>
    public TimeSpan TcpTimeWait { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP after a RST.</summary>
    public TimeSpan TcpClosed { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>UDP with traffic in one direction only.</summary>
    public TimeSpan UdpUnreplied { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>UDP with traffic both ways.</summary>
    public TimeSpan UdpReplied { get; init; } = TimeSpan.FromSeconds(180);

    /// <summary>ICMP / ICMPv6 echo.</summary>
    public TimeSpan IcmpEcho { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Other protocols, unreplied.</summary>
    public TimeSpan OtherUnreplied { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Other protocols, replied.</summary>
    public TimeSpan OtherReplied { get; init; } = TimeSpan.FromSeconds(600);

    /// <summary>Ticks per second of the timestamps passed to the table (default: <see cref="Stopwatch.Frequency"/>).</summary>
    public long TimestampFrequency { get; init; } = Stopwatch.Frequency;
}
