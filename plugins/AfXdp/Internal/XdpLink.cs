using RouterHost.Linux;
using static RouterHost.Plugins.AfXdp.Interop.Bpf;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// Attaches the XDP program to the device through a BPF link (BPF_LINK_CREATE, attach type BPF_XDP): the program
/// stays attached exactly as long as the link's file descriptor is open, so it goes away with the process however
/// the process ends (SIGKILL, a crash) and no XDP program is ever left on the device. A device that already has an
/// XDP program refuses the link (EBUSY), so we never replace someone else's.
/// </summary>
internal static class XdpLink
{
    /// <summary>Attaches <paramref name="program"/> to <paramref name="ifindex"/>; <paramref name="native"/> says which mode it got.</summary>
    public static SafeFileDescriptor Attach(SafeFileDescriptor program, int ifindex, XdpAttachMode mode, string device, out bool native)
    {
        int nativeErrno = 0;
        if (mode != XdpAttachMode.Generic)
        {
            if (TryCreate(program, ifindex, XDP_FLAGS_DRV_MODE, out SafeFileDescriptor? link, out nativeErrno))
            {
                native = true;
                return link;
            }

            if (mode == XdpAttachMode.Native || nativeErrno is Errno.EBUSY or Errno.EPERM or Errno.ENODEV)
            {
                throw Failure(device, "native", nativeErrno);
            }
        }

        if (TryCreate(program, ifindex, XDP_FLAGS_SKB_MODE, out SafeFileDescriptor? generic, out int errno))
        {
            native = false;
            return generic;
        }

        throw Failure(device, nativeErrno == 0 ? "generic" : $"native ({Errno.Name(nativeErrno)}) or generic", errno);
    }

    /// <summary>Detaches the program (BPF_LINK_DETACH) before the link's descriptor is closed; errors are ignored.</summary>
    public static void Detach(SafeFileDescriptor link)
    {
        bool added = false;
        try
        {
            link.DangerousAddRef(ref added);
            var attr = new bpf_attr_link_detach { link_fd = (uint)link.Fd };
            _ = bpf(BPF_LINK_DETACH, ref attr);
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            if (added)
            {
                link.DangerousRelease();
            }
        }
    }

    private static bool TryCreate(SafeFileDescriptor program, int ifindex, uint flags, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SafeFileDescriptor? link, out int errno)
    {
        bool added = false;
        try
        {
            program.DangerousAddRef(ref added);
            var attr = new bpf_attr_link_create
            {
                prog_fd = (uint)program.Fd,
                target_ifindex = (uint)ifindex,
                attach_type = BPF_XDP,
                flags = flags,
            };
            long fd = bpf(BPF_LINK_CREATE, ref attr);
            if (fd < 0)
            {
                errno = Errno.Last;
                link = null;
                return false;
            }

            errno = 0;
            link = new SafeFileDescriptor((int)fd);
            return true;
        }
        finally
        {
            if (added)
            {
                program.DangerousRelease();
            }
        }
    }

    private static LinuxException Failure(string device, string mode, int errno)
    {
        string hint = errno switch
        {
            Errno.EBUSY => $" ('{device}' already has an XDP program attached — see `ip link show {device}`; RouterHost does not replace it)",
            Errno.EOPNOTSUPP => $" (the driver of '{device}' does not support this XDP mode; try XdpMode Generic)",
            Errno.EINVAL => " (the device's MTU may be too large for XDP on this driver, or the kernel lacks XDP links (Linux 5.9+))",
            Errno.EPERM => " (needs CAP_NET_ADMIN and CAP_BPF)",
            _ => string.Empty,
        };
        return new LinuxException($"attaching the XDP program to '{device}' in {mode} mode (BPF_LINK_CREATE){hint}", errno);
    }
}
