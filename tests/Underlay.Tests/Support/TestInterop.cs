// C names are kept verbatim (house rule for native interop).
#pragma warning disable CS8981
using System.Runtime.InteropServices;

namespace RouterHost.Underlay.Tests.Support;

/// <summary>libc calls only the tests need: the calling thread's id, the effective user, and the ethtool ioctl that turns a device's TX checksum offload off.</summary>
internal static unsafe partial class TestInterop
{
    public const nuint SIOCETHTOOL = 0x8946;
    public const uint ETHTOOL_GTXCSUM = 0x16;
    public const uint ETHTOOL_STXCSUM = 0x17;

    [StructLayout(LayoutKind.Sequential)]
    public struct ethtool_value
    {
        public uint cmd;
        public uint data;
    }

    // struct ifreq: a 16-byte name and a 24-byte union (here ifr_data, a pointer).
    [StructLayout(LayoutKind.Sequential, Size = 40)]
    public struct ifreq
    {
        public fixed byte ifr_name[16];
        public void* ifr_data;
    }

    [LibraryImport("libc")]
    public static partial int gettid();

    [LibraryImport("libc")]
    public static partial uint geteuid();
}
