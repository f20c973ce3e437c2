using RouterHost.Abstractions;

namespace RouterHost.Firewall;

/// <summary>Why the firewall refused a packet, registered once so a refusal is a counter increment.</summary>
public static class FirewallDropReasons
{
    /// <summary>A rule with <see cref="RuleAction.Drop"/> matched.</summary>
    public static DropReason RuleDrop { get; } = DropReason.Register("firewall.rule_drop");

    /// <summary>A rule with <see cref="RuleAction.Reject"/> matched (a reply was sent).</summary>
    public static DropReason RuleReject { get; } = DropReason.Register("firewall.rule_reject");

    /// <summary>No rule matched and the direction's default policy refuses.</summary>
    public static DropReason DefaultDrop { get; } = DropReason.Register("firewall.default_drop");

    /// <summary>A reject was due but the reject rate limit was exhausted, so the packet was only dropped.</summary>
    public static DropReason RejectRateLimited { get; } = DropReason.Register("firewall.reject_rate_limited");

    /// <summary>A reject was due but the packet must never be answered (ICMP error, fragment, multicast, RST).</summary>
    public static DropReason RejectSuppressed { get; } = DropReason.Register("firewall.reject_suppressed");

    /// <summary>An accepted packet would open a connection but the connection table had no room.</summary>
    public static DropReason ConntrackFull { get; } = DropReason.Register("firewall.conntrack_full");
}
