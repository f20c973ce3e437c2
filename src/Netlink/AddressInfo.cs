using System.Net;

namespace RouterHost.Netlink;

/// <summary>An interface address as RTM_NEWADDR describes it.</summary>
/// <param name="InterfaceIndex">The interface it is on (ifa_index).</param>
/// <param name="Address">The local address (IFA_LOCAL, or IFA_ADDRESS when there is no IFA_LOCAL, as for IPv6).</param>
/// <param name="PrefixLength">The prefix length (ifa_prefixlen).</param>
/// <param name="Flags">IFA_F_* flags (IFA_FLAGS when present, else ifa_flags).</param>
/// <param name="Scope">The RT_SCOPE_* scope: 0 universe, 253 link, 254 host.</param>
/// <param name="Label">The IPv4 label (IFA_LABEL), null for IPv6.</param>
/// <param name="PeerAddress">The peer of a point-to-point address (IFA_ADDRESS when it differs from IFA_LOCAL), else null.</param>
/// <param name="Protocol">Who added it (IFA_PROTO, Linux 6.1 on): 0 unknown, 1–3 the kernel, <see cref="RtProtocol.RouterHost"/> RouterHost.</param>
public sealed record AddressInfo(
    int InterfaceIndex,
    IPAddress Address,
    int PrefixLength,
    AddressFlags Flags,
    byte Scope,
    string? Label,
    IPAddress? PeerAddress,
    byte Protocol = 0);
