using System.Net.NetworkInformation;

namespace RouterHost.Netlink;

/// <summary>A network interface as RTM_NEWLINK describes it.</summary>
/// <param name="Index">The interface index (ifi_index).</param>
/// <param name="Name">The interface name (IFLA_IFNAME).</param>
/// <param name="Mtu">The MTU (IFLA_MTU), 0 if the kernel did not send one.</param>
/// <param name="Flags">The IFF_* flags (ifi_flags).</param>
/// <param name="HardwareAddress">The link-layer address (IFLA_ADDRESS), null when the link has none (TUN, dummy without one).</param>
/// <param name="DeviceType">The ARPHRD_* device type (ifi_type): 1 Ethernet, 772 loopback, 65534 none (TUN).</param>
/// <param name="Statistics">The kernel's counters of the device (IFLA_STATS64), null when the kernel sent none.</param>
/// <param name="TransmitQueueLength">The device's transmit queue length (IFLA_TXQLEN, <c>txqueuelen</c>), null when not sent.</param>
public sealed record LinkInfo(
    int Index, string Name, int Mtu, uint Flags, PhysicalAddress? HardwareAddress, ushort DeviceType,
    LinkStatistics? Statistics = null, uint? TransmitQueueLength = null)
{
    /// <summary>IFF_UP: administratively up.</summary>
    public bool IsUp => (Flags & Interop.Netlink.IFF_UP) != 0;

    /// <summary>IFF_RUNNING: operationally up (RFC 2863 OPER_UP).</summary>
    public bool IsRunning => (Flags & Interop.Netlink.IFF_RUNNING) != 0;

    /// <summary>IFF_LOWER_UP: the driver signals carrier.</summary>
    public bool IsLowerUp => (Flags & Interop.Netlink.IFF_LOWER_UP) != 0;

    /// <summary>IFF_LOOPBACK.</summary>
    public bool IsLoopback => (Flags & Interop.Netlink.IFF_LOOPBACK) != 0;
}
