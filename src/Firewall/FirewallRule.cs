using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Firewall;

/// <summary>
/// One firewall rule. Every condition left unset (null or empty) matches anything; set conditions must all hold.
/// Lists match when any element matches. Port names and groups are resolved by the stage before a rule is built,
/// so ports arrive here as sets of <see cref="PortId"/> (an empty set matches nothing).
/// <para>
/// Port conditions only match packets that carry ports (TCP and UDP with a transport header); ICMP conditions
/// only ICMP (IPv4) and ICMPv6 (IPv6) packets. A later fragment carries neither, so only rules without port and
/// ICMP conditions can match it.
/// </para>
/// </summary>
public sealed record FirewallRule
{
    /// <summary>What happens to a matching packet.</summary>
    public RuleAction Action { get; init; }

    /// <summary>Ports the packet may have entered through; null for any.</summary>
    public IReadOnlySet<PortId>? Ingress { get; init; }

    /// <summary>Ports the packet may be going to; null for any.</summary>
    public IReadOnlySet<PortId>? Egress { get; init; }

    /// <summary>Source prefixes (either family); empty for any address of any family.</summary>
    public IReadOnlyList<IpPrefix> Sources { get; init; } = [];

    /// <summary>Destination prefixes (either family); empty for any address of any family.</summary>
    public IReadOnlyList<IpPrefix> Destinations { get; init; } = [];

    /// <summary>The protocol number (see <see cref="RouterHost.Packets.IpProtocol"/>); null for any.</summary>
    public byte? Protocol { get; init; }

    /// <summary>Source port ranges; empty for any (and then packets without ports match too).</summary>
    public IReadOnlyList<PortRange> SourcePorts { get; init; } = [];

    /// <summary>Destination port ranges; empty for any (and then packets without ports match too).</summary>
    public IReadOnlyList<PortRange> DestinationPorts { get; init; } = [];

    /// <summary>The ICMP/ICMPv6 type; null for any.</summary>
    public byte? IcmpType { get; init; }

    /// <summary>The ICMP/ICMPv6 code; null for any.</summary>
    public byte? IcmpCode { get; init; }

    /// <summary>A name for logs and counters.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// Whether the packet matches, by checking every condition in turn: the reference semantics the indexed
    /// <see cref="CompiledRuleSet"/> must equal.
    /// </summary>
    public bool Matches(in PacketFields packet)
    {
        if (Ingress is not null && !Ingress.Contains(packet.Ingress))
        {
            return false;
        }

        if (Egress is not null && !Egress.Contains(packet.Egress))
        {
            return false;
        }

        if (Protocol is byte protocol && protocol != packet.Protocol)
        {
            return false;
        }

        if (!AnyContains(Sources, packet.IsIPv6, packet.Source) || !AnyContains(Destinations, packet.IsIPv6, packet.Destination))
        {
            return false;
        }

        if (SourcePorts.Count > 0 && (!packet.HasPorts || !AnyContains(SourcePorts, packet.SourcePort)))
        {
            return false;
        }

        if (DestinationPorts.Count > 0 && (!packet.HasPorts || !AnyContains(DestinationPorts, packet.DestinationPort)))
        {
            return false;
        }

        if (IcmpType is byte type && (!packet.IsIcmp || packet.IcmpType != type))
        {
            return false;
        }

        return IcmpCode is not byte code || (packet.IsIcmp && packet.IcmpCode == code);
    }

    private static bool AnyContains(IReadOnlyList<IpPrefix> prefixes, bool isIPv6, UInt128 address)
    {
        if (prefixes.Count == 0)
        {
            return true;
        }

        for (int i = 0; i < prefixes.Count; i++)
        {
            if (prefixes[i].Contains(isIPv6, address))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AnyContains(IReadOnlyList<PortRange> ranges, ushort port)
    {
        for (int i = 0; i < ranges.Count; i++)
        {
            if (ranges[i].Contains(port))
            {
                return true;
            }
        }

        return false;
    }
}
