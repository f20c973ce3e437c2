using RouterHost.Abstractions;

namespace RouterHost.Plugins.LinuxTun;

/// <summary>Why the TUN backend refused a packet (in addition to the packet library's parse reasons).</summary>
internal static class TunDropReasons
{
    /// <summary>A read returned fewer bytes than a virtio-net header.</summary>
    public static readonly DropReason ShortRead = DropReason.Register("tun.read.short");

    /// <summary>The kernel refused a write as invalid (EINVAL): a malformed packet or offload header.</summary>
    public static readonly DropReason WriteInvalid = DropReason.Register("tun.write.invalid");

    /// <summary>The kernel had no room (ENOBUFS/EAGAIN).</summary>
    public static readonly DropReason WriteNoBuffers = DropReason.Register("tun.write.no_buffers");

    /// <summary>A packet too large for the device (EMSGSIZE) or for the header it needs.</summary>
    public static readonly DropReason WriteTooLarge = DropReason.Register("tun.write.too_large");

    /// <summary>Any other write error (the device may be gone); logged with its errno.</summary>
    public static readonly DropReason WriteFailed = DropReason.Register("tun.write.failed");

    /// <summary>
    /// A superpacket the queue does not take (see <see cref="TunQueue.AcceptsGso"/>): any, on a queue opened without
    /// offloads; a USO one, on a queue without USO.
    /// </summary>
    public static readonly DropReason GsoDisabled = DropReason.Register("tun.write.gso_disabled");
}
