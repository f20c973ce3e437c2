// C struct names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;
using System.Text;
using RouterHost.Linux;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Benchmarks.Underlay;

/// <summary>
/// Reads and switches a device's offload features by name (what <c>ethtool -k</c> / <c>-K</c> do), with the ethtool
/// ioctl on a socket of the namespace: <c>ETHTOOL_GSSET_INFO</c> + <c>ETHTOOL_GSTRINGS</c> find the feature's bit,
/// <c>ETHTOOL_GFEATURES</c> / <c>ETHTOOL_SFEATURES</c> read and set it (linux/ethtool.h).
/// </summary>
internal static unsafe class DeviceFeatures
{
    private const nuint SIOCETHTOOL = 0x8946;
    private const uint ETHTOOL_GSTRINGS = 0x1b;
    private const uint ETHTOOL_GSSET_INFO = 0x37;
    private const uint ETHTOOL_GFEATURES = 0x3a;
    private const uint ETHTOOL_SFEATURES = 0x3b;
    private const int ETH_SS_FEATURES = 4;
    private const int ETH_GSTRING_LEN = 32;

    /// <summary>Whether <paramref name="feature"/> (e.g. "tx-udp-segmentation") is active on the device.</summary>
    public static bool IsActive(string? ns, string device, string feature) => NetworkNamespaceThread.Run(ns, () =>
    {
        int bit = FindBit(device, feature);
        int blocks = (bit / 32) + 1;
        // struct ethtool_gfeatures { u32 cmd; u32 size; struct { u32 available, requested, active, never_changed; } features[]; }
        uint[] buffer = new uint[2 + (4 * blocks)];
        buffer[0] = ETHTOOL_GFEATURES;
        buffer[1] = (uint)blocks;
        Ioctl(device, buffer);
        return (buffer[2 + (4 * (bit / 32)) + 2] & (1u << (bit % 32))) != 0;
    });

    /// <summary>Switches <paramref name="feature"/> on or off.</summary>
    public static void Set(string? ns, string device, string feature, bool on) => NetworkNamespaceThread.Run(ns, () =>
    {
        int bit = FindBit(device, feature);
        int blocks = (bit / 32) + 1;
        // struct ethtool_sfeatures { u32 cmd; u32 size; struct { u32 valid, requested; } features[]; }
        uint[] buffer = new uint[2 + (2 * blocks)];
        buffer[0] = ETHTOOL_SFEATURES;
        buffer[1] = (uint)blocks;
        buffer[2 + (2 * (bit / 32))] = 1u << (bit % 32);
        buffer[2 + (2 * (bit / 32)) + 1] = on ? 1u << (bit % 32) : 0;
        Ioctl(device, buffer);
    });

    private static int FindBit(string device, string feature)
    {
        // struct ethtool_sset_info { u32 cmd; u32 reserved; u64 sset_mask; u32 data[]; }
        uint[] info = [ETHTOOL_GSSET_INFO, 0, 1u << ETH_SS_FEATURES, 0, 0];
        Ioctl(device, info);
        int count = (int)info[4];
        // struct ethtool_gstrings { u32 cmd; u32 string_set; u32 len; u8 data[]; }
        uint[] strings = new uint[3 + (count * ETH_GSTRING_LEN / 4)];
        strings[0] = ETHTOOL_GSTRINGS;
        strings[1] = ETH_SS_FEATURES;
        strings[2] = (uint)count;
        Ioctl(device, strings);
        ReadOnlySpan<byte> names = MemoryMarshal.AsBytes(strings.AsSpan(3));
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> name = names.Slice(i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
            int end = name.IndexOf((byte)0);
            if (Encoding.ASCII.GetString(end < 0 ? name : name[..end]) == feature)
            {
                return i;
            }
        }

        throw new InvalidOperationException($"{device} has no feature named {feature}");
    }

    private static void Ioctl(string device, uint[] data)
    {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw LinuxException.FromLast("socket for the ethtool ioctl");
        }

        using var handle = new SafeFileDescriptor(fd);
        // struct ifreq: a 16-byte name, then the union (ifr_data); 40 bytes.
        byte* request = stackalloc byte[40];
        new Span<byte>(request, 40).Clear();
        Encoding.ASCII.GetBytes(device, new Span<byte>(request, 15));
        fixed (uint* payload = data)
        {
            *(uint**)(request + 16) = payload;
            if (ioctl(handle, SIOCETHTOOL, request) != 0)
            {
                throw LinuxException.FromLast($"SIOCETHTOOL 0x{data[0]:x} on {device}");
            }
        }
    }
}
