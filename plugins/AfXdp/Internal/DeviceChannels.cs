using System.Text;
using RouterHost.Linux;
using static RouterHost.Plugins.AfXdp.Interop.Ethtool;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>How many receive queues a device has, from ETHTOOL_GCHANNELS (the call <c>ethtool -l</c> makes).</summary>
internal static unsafe class DeviceChannels
{
    /// <summary>
    /// The device's receive queues: the larger of its RX-only and combined channel counts (a NIC reports combined
    /// channels; veth reports both as its queue count). Null when the driver does not report channels.
    /// Call in the device's network namespace.
    /// </summary>
    public static int? ReceiveQueues(string device)
    {
        int raw = Linux.Interop.Libc.socket(Linux.Interop.Libc.AF_INET, Linux.Interop.Libc.SOCK_DGRAM | Linux.Interop.Libc.SOCK_CLOEXEC, 0);
        if (raw < 0)
        {
            throw LinuxException.FromLast("socket(AF_INET) for SIOCETHTOOL");
        }

        using var fd = new SafeFileDescriptor(raw);
        var channels = new ethtool_channels { cmd = ETHTOOL_GCHANNELS };
        ifreq request = default;
        byte[] name = Encoding.UTF8.GetBytes(device);
        for (int i = 0; i < name.Length && i < IFNAMSIZ - 1; i++)
        {
            request.ifr_name[i] = name[i];
        }

        request.ifr_data = &channels;
        if (Linux.Interop.Libc.ioctl(fd, SIOCETHTOOL, &request) < 0)
        {
            return null;
        }

        int queues = (int)Math.Max(channels.rx_count, channels.combined_count);
        return queues > 0 ? queues : null;
    }
}
