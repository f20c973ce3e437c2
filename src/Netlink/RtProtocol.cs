namespace RouterHost.Netlink;

/// <summary>
/// Who added a route (<c>rtm_protocol</c>, RTPROT_* of linux/rtnetlink.h) or an address (<c>IFA_PROTO</c>, Linux 6.1
/// on). Values from 5 up are not interpreted by the kernel: each routing daemon stamps its own and finds its routes by it.
/// </summary>
public static class RtProtocol
{
    /// <summary>RTPROT_KERNEL: made by the kernel (an address's prefix route).</summary>
    public const byte Kernel = 2;

    /// <summary>RTPROT_BOOT: added by a tool without saying (ip route's default).</summary>
    public const byte Boot = 3;

    /// <summary>RTPROT_STATIC: added by an administrator.</summary>
    public const byte Static = 4;

    /// <summary>
    /// RouterHost's own number, on the routes and addresses it adds to a device, so that a later run recognises what an
    /// earlier one left (a run that was killed) and removes it as its own. 210 is in no kernel header, iproute2's
    /// rt_protos or FRR's list (which uses up to 200); <c>ip route</c> shows it as <c>proto 210</c>, or as
    /// <c>proto routerhost</c> with the line <c>210 routerhost</c> in <c>/etc/iproute2/rt_protos.d/routerhost.conf</c>.
    /// </summary>
    public const byte RouterHost = 210;
}
