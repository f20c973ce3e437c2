using Microsoft.Win32.SafeHandles;

namespace RouterHost.Netlink;

/// <summary>Owns the file descriptor of an AF_NETLINK socket; closes it once.</summary>
internal sealed class SafeNetlinkSocketHandle : SafeHandleMinusOneIsInvalid
{
    public SafeNetlinkSocketHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => Interop.Libc.close(handle) == 0;
}
