using System.Net;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using RouterHost.Abstractions;
using RouterHost.Samples.AfPacket.Interop;

namespace RouterHost.Samples.AfPacket;

/// <summary>What the backend reads about its Ethernet device from the kernel, once, when the interface is created.</summary>
internal sealed record Device(string Name, int Index, ulong Mac, int Mtu, IReadOnlyList<InterfaceAddress> Addresses)
{
    private const ushort ARPHRD_ETHER = 1;
    private const int IFNAMSIZ = 16;

    /// <summary>The IPv4 addresses with their prefixes, for choosing the sender address of an ARP request.</summary>
    public (uint Address, uint Mask)[] IPv4Prefixes => [.. Addresses.Where(a => !a.IsIPv6).Select(a => (ToNumber(a.Address), Mask(a.PrefixLength)))];

    /// <summary>The IPv6 addresses (not link-local) with their prefixes, for choosing the source of a solicitation.</summary>
    public (UInt128 Address, UInt128 Mask)[] IPv6Prefixes => [.. Addresses.Where(a => a.IsIPv6).Select(a => (ToNumber6(a.Address), Mask6(a.PrefixLength)))];

    /// <summary>An IPv6 address as a big-endian number.</summary>
    public static UInt128 ToNumber6(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    /// <summary>The addresses the kernel answers for, including IPv6 link-local ones, as the frame classifier wants them.</summary>
    public LocalAddresses Local(IReadOnlyList<IPAddress> linkLocal) => new(
        [.. Addresses.Where(a => !a.IsIPv6).Select(a => ToNumber(a.Address))],
        [.. Addresses.Where(a => a.IsIPv6).Select(a => a.Address).Concat(linkLocal).Select(ToNumber6)]);

    /// <summary>
    /// Reads device <paramref name="name"/>: index, MAC, MTU and addresses (IPv6 link-local ones apart, in
    /// <paramref name="linkLocal"/>). Throws naming the device and errno when it is missing or not Ethernet.
    /// </summary>
    public static unsafe Device Read(string interfaceName, string name, out List<IPAddress> linkLocal)
    {
        uint index = Libc.if_nametoindex(name);
        if (index == 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException(
                $"interface '{interfaceName}': there is no device '{name}' in this network namespace: {Libc.ErrorText(errno)} (errno {errno}); "
                + $"check Interfaces:{interfaceName}:Settings:Device (`ip link show` lists the devices)");
        }

        int fd = Libc.socket(Libc.AF_INET, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"interface '{interfaceName}': socket(AF_INET) to query '{name}'");
        }

        using var socket = new SafeFd(fd);
        byte* request = stackalloc byte[40];
        new Span<byte>(request, 40).Clear();
        _ = Encoding.UTF8.GetBytes(name, new Span<byte>(request, IFNAMSIZ - 1));
        if (Libc.ioctl(socket.Value, Libc.SIOCGIFHWADDR, request) != 0)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"interface '{interfaceName}': SIOCGIFHWADDR on '{name}'");
        }

        ushort family = *(ushort*)(request + IFNAMSIZ);
        if (family != ARPHRD_ETHER)
        {
            throw new IOException($"interface '{interfaceName}': '{name}' is not an Ethernet device (ARPHRD type {family}); the AfPacket backend frames packets as Ethernet — use the LinuxTun backend for a TUN device");
        }

        ulong mac = Ethernet.ReadMac(new ReadOnlySpan<byte>(request + IFNAMSIZ + 2, 6));
        if (Libc.ioctl(socket.Value, Libc.SIOCGIFMTU, request) != 0)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"interface '{interfaceName}': SIOCGIFMTU on '{name}'");
        }

        int mtu = *(int*)(request + IFNAMSIZ);
        var addresses = ReadAddresses(interfaceName, name, out linkLocal);
        return new Device(name, (int)index, mac, mtu, addresses);
    }

    private static unsafe List<InterfaceAddress> ReadAddresses(string interfaceName, string name, out List<IPAddress> linkLocal)
    {
        var addresses = new List<InterfaceAddress>();
        linkLocal = [];
        Libc.ifaddrs* list;
        if (Libc.getifaddrs(&list) != 0)
        {
            throw Errors.Native(Marshal.GetLastPInvokeError(), $"interface '{interfaceName}': getifaddrs for '{name}'");
        }

        try
        {
            for (Libc.ifaddrs* entry = list; entry != null; entry = entry->ifa_next)
            {
                if (entry->ifa_addr == null || entry->ifa_netmask == null || Marshal.PtrToStringUTF8((nint)entry->ifa_name) != name)
                {
                    continue;
                }

                ushort family = *(ushort*)entry->ifa_addr;
                int offset = family == Libc.AF_INET ? 4 : family == Libc.AF_INET6 ? 8 : -1;
                int length = family == Libc.AF_INET ? 4 : 16;
                if (offset < 0)
                {
                    continue;
                }

                var address = new IPAddress(new ReadOnlySpan<byte>(entry->ifa_addr + offset, length));
                int prefix = 0;
                foreach (byte b in new ReadOnlySpan<byte>(entry->ifa_netmask + offset, length))
                {
                    prefix += BitOperations.PopCount(b);
                }

                if (address.IsIPv6LinkLocal)
                {
                    linkLocal.Add(address);
                }
                else
                {
                    addresses.Add(new InterfaceAddress(address, prefix));
                }
            }
        }
        finally
        {
            Libc.freeifaddrs(list);
        }

        return addresses;
    }

    private static uint ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static uint Mask(int prefixLength) => prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);

    private static UInt128 Mask6(int prefixLength) => prefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefixLength);
}
