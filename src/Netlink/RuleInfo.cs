using System.Net.Sockets;

namespace RouterHost.Netlink;

/// <summary>
/// A policy routing rule (RTM_NEWRULE, <c>struct fib_rule_hdr</c> and FRA_* of linux/fib_rules.h) as far as RouterHost
/// reads and writes them: which table a lookup goes to, under which firewall mark, with which suppression. Source and
/// destination selectors, interface names and port ranges are not decoded (<see cref="HasSelectors"/> says a rule has some).
/// </summary>
/// <param name="Family">InterNetwork or InterNetworkV6.</param>
/// <param name="Priority">FRA_PRIORITY (<c>ip rule</c>'s <c>pref</c>); null when absent (the kernel's rule 0 has none).</param>
/// <param name="Table">FRA_TABLE when present, else the header's table.</param>
/// <param name="Action">FR_ACT_*: 1 lookup a table (FR_ACT_TO_TBL), 6 blackhole, ...</param>
/// <param name="Invert">FIB_RULE_INVERT: the selectors are negated (<c>ip rule add not ...</c>).</param>
/// <param name="FirewallMark">FRA_FWMARK, null when the rule does not match on a mark.</param>
/// <param name="FirewallMask">FRA_FWMASK, null when absent (the kernel then uses 0xffffffff with a mark).</param>
/// <param name="SuppressPrefixLength">FRA_SUPPRESS_PREFIXLEN: a route found with a prefix this long or shorter is ignored; null when absent.</param>
/// <param name="Protocol">FRA_PROTOCOL (Linux 4.17 on): who added the rule; <see cref="RtProtocol.RouterHost"/> for RouterHost's.</param>
/// <param name="HasSelectors">Whether the rule also selects by source, destination or interface (FRA_SRC, FRA_DST, FRA_IIFNAME, FRA_OIFNAME).</param>
public sealed record RuleInfo(
    AddressFamily Family,
    int? Priority,
    int Table,
    byte Action,
    bool Invert,
    uint? FirewallMark,
    uint? FirewallMask,
    int? SuppressPrefixLength,
    byte Protocol,
    bool HasSelectors)
{
    /// <inheritdoc />
    public override string ToString() =>
        $"{(Family == AddressFamily.InterNetwork ? "ipv4" : "ipv6")} rule{(Priority is int p ? $" pref {p}" : string.Empty)}"
        + $"{(Invert ? " not" : string.Empty)}{(FirewallMark is uint m ? $" fwmark 0x{m:x}" : string.Empty)} table {Table}"
        + $"{(SuppressPrefixLength is int s ? $" suppress_prefixlength {s}" : string.Empty)}{(Protocol != 0 ? $" proto {Protocol}" : string.Empty)}";
}
