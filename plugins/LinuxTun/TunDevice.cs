using System.Text;
using RouterHost.Linux;
using static RouterHost.Plugins.LinuxTun.Interop.Tun;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>What offloads a TUN device ended up with after negotiation.</summary>
/// <param name="VnetHeader">Packets carry a virtio-net header (offloads possible at all).</param>
/// <param name="Flags">The TUN_F_* bits the kernel accepted (0 when it accepted none).</param>
internal readonly record struct TunOffloads(bool VnetHeader, uint Flags)
{
    public bool Tso => (Flags & (TUN_F_TSO4 | TUN_F_TSO6)) != 0;

    public bool Uso => (Flags & (TUN_F_USO4 | TUN_F_USO6)) != 0;

    public override string ToString()
    {
        if (!VnetHeader)
        {
            return "off (plain TUN)";
        }

        var parts = new List<string>();
        if ((Flags & TUN_F_CSUM) != 0)
        {
            parts.Add("csum");
        }

        if ((Flags & TUN_F_TSO4) != 0)
        {
            parts.Add("tso4");
        }

        if ((Flags & TUN_F_TSO6) != 0)
        {
            parts.Add("tso6");
        }

        if ((Flags & TUN_F_TSO_ECN) != 0)
        {
            parts.Add("tso_ecn");
        }

        if ((Flags & TUN_F_USO4) != 0)
        {
            parts.Add("uso4");
        }

        if ((Flags & TUN_F_USO6) != 0)
        {
            parts.Add("uso6");
        }

        return parts.Count == 0 ? "virtio header only" : string.Join(" ", parts);
    }
}

/// <summary>Opens TUN queues (<c>/dev/net/tun</c> + TUNSETIFF) and negotiates offloads (TUNSETOFFLOAD).</summary>
internal static unsafe class TunDevice
{
    public const int VnetHeaderLength = 10;

    /// <summary>
    /// Opens one queue of the device <paramref name="name"/> (creating the device on the first), non-blocking,
    /// and returns its fd and the name the kernel gave it.
    /// </summary>
    public static SafeFileDescriptor OpenQueue(string name, bool vnetHeader, bool multiQueue, out string actualName)
    {
        int raw = Linux.Interop.Libc.open(DevicePath, Linux.Interop.Libc.O_RDWR | Linux.Interop.Libc.O_CLOEXEC | Linux.Interop.Libc.O_NONBLOCK);
        if (raw < 0)
        {
            int errno = Errno.Last;
            throw new LinuxException(
                errno is Errno.ENOENT or Errno.ENODEV ? $"opening {DevicePath} (is the tun module loaded and the device node present?)"
                : errno is Errno.EACCES or Errno.EPERM ? $"opening {DevicePath} (needs root or CAP_NET_ADMIN)"
                : $"opening {DevicePath}",
                errno);
        }

        var fd = new SafeFileDescriptor(raw);
        try
        {
            ifreq request = default;
            byte[] nameBytes = Encoding.UTF8.GetBytes(name);
            for (int i = 0; i < nameBytes.Length && i < IFNAMSIZ - 1; i++)
            {
                request.ifr_name[i] = nameBytes[i];
            }

            request.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | (vnetHeader ? IFF_VNET_HDR : 0) | (multiQueue ? IFF_MULTI_QUEUE : 0));
            if (Linux.Interop.Libc.ioctl(fd, TUNSETIFF, &request) < 0)
            {
                int errno = Errno.Last;
                string hint = errno switch
                {
                    Errno.EBUSY => " (a device of that name exists with other flags, or is held by another process)",
                    Errno.EINVAL => " (the name or flags are not valid for a TUN device; an existing device of another kind has this name?)",
                    Errno.EPERM => " (needs CAP_NET_ADMIN)",
                    _ => string.Empty,
                };
                throw new LinuxException($"TUNSETIFF for '{name}'{hint}", errno);
            }

            actualName = ReadName(request.ifr_name);
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Asks for checksum offload, TSO (v4, v6, ECN) and, when <paramref name="uso"/>, USO; if the kernel refuses
    /// USO (before Linux 6.2) it is dropped, and if it refuses TSO too, no offloads are used (the device still
    /// works, as a plain TUN with virtio headers). Returns what was accepted.
    /// </summary>
    public static TunOffloads NegotiateOffloads(SafeFileDescriptor fd, bool tso, bool uso) =>
        NegotiateOffloads(flags => Linux.Interop.Libc.ioctl(fd, TUNSETOFFLOAD, (nint)flags) == 0 ? 0 : Errno.Last, tso, uso);

    /// <summary>
    /// The negotiation itself, over <paramref name="setOffload"/> (TUNSETOFFLOAD: returns 0 or the errno), so its
    /// fallbacks are testable: EINVAL means "not this combination", any other errno is an error.
    /// </summary>
    internal static TunOffloads NegotiateOffloads(Func<uint, int> setOffload, bool tso, bool uso)
    {
        uint wanted = 0;
        if (tso)
        {
            wanted |= TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
        }

        if (uso)
        {
            wanted |= TUN_F_CSUM | TUN_F_USO4 | TUN_F_USO6;
        }

        uint withoutUso = wanted & ~(TUN_F_USO4 | TUN_F_USO6);
        uint[] attempts = [wanted, withoutUso, withoutUso & ~TUN_F_TSO_ECN];
        uint previous = uint.MaxValue;
        foreach (uint attempt in attempts)
        {
            if (attempt == previous || attempt == 0 || (attempt & ~TUN_F_CSUM) == 0)
            {
                continue;
            }

            previous = attempt;
            int errno = setOffload(attempt);
            if (errno == 0)
            {
                return new TunOffloads(true, attempt);
            }

            if (errno != Errno.EINVAL)
            {
                throw new LinuxException($"TUNSETOFFLOAD 0x{attempt:x}", errno);
            }
        }

        // Nothing accepted (or nothing wanted): no offloads, the kernel finishes checksums itself.
        _ = setOffload(0);
        return new TunOffloads(true, 0);
    }

    /// <summary>Makes the device outlive its file descriptors (or not).</summary>
    public static void SetPersist(SafeFileDescriptor fd, bool persist, string name)
    {
        if (Linux.Interop.Libc.ioctl(fd, TUNSETPERSIST, persist ? 1 : 0) < 0)
        {
            throw LinuxException.FromErrno(Errno.Last, $"TUNSETPERSIST {(persist ? 1 : 0)} on '{name}'");
        }
    }

    /// <summary>Reads an adopted fd's interface name and flags (TUNGETIFF).</summary>
    public static (string Name, short Flags) GetInterface(SafeFileDescriptor fd)
    {
        ifreq request = default;
        if (Linux.Interop.Libc.ioctl(fd, TUNGETIFF, &request) < 0)
        {
            throw LinuxException.FromLast("TUNGETIFF (is this a TUN file descriptor?)");
        }

        return (ReadName(request.ifr_name), request.ifr_flags);
    }

    /// <summary>Puts an adopted fd into non-blocking mode.</summary>
    public static void SetNonBlocking(SafeFileDescriptor fd)
    {
        int flags = Linux.Interop.Libc.fcntl(fd, Linux.Interop.Libc.F_GETFL, 0);
        if (flags < 0 || Linux.Interop.Libc.fcntl(fd, Linux.Interop.Libc.F_SETFL, flags | Linux.Interop.Libc.O_NONBLOCK) < 0)
        {
            throw LinuxException.FromLast("fcntl O_NONBLOCK");
        }
    }

    private static string ReadName(byte* name)
    {
        int length = 0;
        while (length < IFNAMSIZ && name[length] != 0)
        {
            length++;
        }

        return Encoding.UTF8.GetString(name, length);
    }
}
