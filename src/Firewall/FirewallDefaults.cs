using RouterHost.Abstractions;

namespace RouterHost.Firewall;

/// <summary>
/// What happens to a packet no rule matches, per direction. Inbound (from peers, the wire) defaults to
/// <see cref="RuleAction.Drop"/> as in Nebula; outbound (from the router's interfaces) to <see cref="RuleAction.Accept"/>.
/// </summary>
/// <param name="Outbound">The default for packets walking the chain outward.</param>
/// <param name="Inbound">The default for packets arriving from the wire.</param>
public sealed record FirewallDefaults(RuleAction Outbound = RuleAction.Accept, RuleAction Inbound = RuleAction.Drop)
{
    /// <summary>The default for a direction.</summary>
    public RuleAction For(PacketDirection direction) => direction == PacketDirection.Inbound ? Inbound : Outbound;
}
