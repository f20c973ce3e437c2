namespace RouterHost.Netlink;

/// <summary>
/// The first eight counters of the kernel's <c>struct rtnl_link_stats64</c> (IFLA_STATS64), as the device sees them:
/// "tx" is what the kernel handed the device to send (for a TUN device: towards the process reading it), "rx" what
/// the device delivered to the kernel (for a TUN device: what the process wrote).
/// </summary>
/// <param name="RxPackets">rx_packets.</param>
/// <param name="TxPackets">tx_packets.</param>
/// <param name="RxBytes">rx_bytes.</param>
/// <param name="TxBytes">tx_bytes.</param>
/// <param name="RxErrors">rx_errors.</param>
/// <param name="TxErrors">tx_errors.</param>
/// <param name="RxDropped">rx_dropped.</param>
/// <param name="TxDropped">tx_dropped: for a TUN device, packets dropped because the reader's queue was full.</param>
public sealed record LinkStatistics(
    ulong RxPackets, ulong TxPackets, ulong RxBytes, ulong TxBytes,
    ulong RxErrors, ulong TxErrors, ulong RxDropped, ulong TxDropped)
{
    /// <summary>Bytes of the counters read: eight __u64 fields (every kernel sends at least 23).</summary>
    internal const int Size = 64;
}
