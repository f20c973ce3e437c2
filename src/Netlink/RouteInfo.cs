using System.Net;
using System.Net.Sockets;

namespace RouterHost.Netlink;

/// <summary>A route as RTM_NEWROUTE describes it. Multipath next hops (RTA_MULTIPATH) are not decoded.</summary>
/// <param name="Family">InterNetwork or InterNetworkV6.</param>
/// <param name="Destination">The destination prefix (RTA_DST; the unspecified address for a default route).</param>
/// <param name="PrefixLength">rtm_dst_len.</param>
/// <param name="Gateway">The next hop (RTA_GATEWAY), null for a directly connected route.</param>
/// <param name="OutputInterfaceIndex">RTA_OIF, null when absent (multipath, blackhole).</param>
/// <param name="Metric">RTA_PRIORITY, null when absent.</param>
/// <param name="Table">RTA_TABLE when present, else rtm_table.</param>
/// <param name="Protocol">RTPROT_*: 2 kernel, 3 boot, 4 static, <see cref="RtProtocol.RouterHost"/> RouterHost.</param>
/// <param name="Scope">RT_SCOPE_*: 0 universe, 253 link, 254 host.</param>
/// <param name="Type">RTN_*: 1 unicast, 2 local, 6 blackhole, ...</param>
/// <param name="PreferredSource">RTA_PREFSRC, null when absent.</param>
public sealed record RouteInfo(
    AddressFamily Family,
    IPAddress Destination,
    int PrefixLength,
    IPAddress? Gateway,
    int? OutputInterfaceIndex,
    int? Metric,
    int Table,
    byte Protocol,
    byte Scope,
    byte Type,
    IPAddress? PreferredSource);
