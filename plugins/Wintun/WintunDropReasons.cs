using RouterHost.Abstractions;

namespace RouterHost.Plugins.Wintun;

/// <summary>Why the Wintun backend refused a packet.</summary>
internal static class WintunDropReasons
{
    /// <summary>The send ring was full (ERROR_BUFFER_OVERFLOW): Windows' stack is not taking packets as fast as they come.</summary>
    public static readonly DropReason RingFull = DropReason.Register("wintun.write.ring_full");

    /// <summary>The adapter is going away (ERROR_HANDLE_EOF).</summary>
    public static readonly DropReason AdapterGone = DropReason.Register("wintun.write.adapter_gone");

    /// <summary>A superpacket: Wintun has no offloads, and the runner segments superpackets before a queue that is no IGsoWriter.</summary>
    public static readonly DropReason Superpacket = DropReason.Register("wintun.write.superpacket");

    /// <summary>Longer than WINTUN_MAX_IP_PACKET_SIZE (65535).</summary>
    public static readonly DropReason TooLarge = DropReason.Register("wintun.write.too_large");

    /// <summary>
    /// Not an IPv4 packet of at least 20 bytes or an IPv6 packet of at least 40: the driver discards those, and
    /// stalls its receive path while doing so, so they are refused before they reach the ring.
    /// </summary>
    public static readonly DropReason NotIp = DropReason.Register("wintun.write.not_ip");

    /// <summary>A packet whose pending checksum (NEEDS_CSUM) lies outside it.</summary>
    public static readonly DropReason BadChecksumOffset = DropReason.Register("wintun.write.bad_csum_offset");

    /// <summary>Any other allocation failure (logged with its Win32 error).</summary>
    public static readonly DropReason WriteFailed = DropReason.Register("wintun.write.failed");

    /// <summary>The ring handed over an empty packet.</summary>
    public static readonly DropReason EmptyRead = DropReason.Register("wintun.read.empty");
}
