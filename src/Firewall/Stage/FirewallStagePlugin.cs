using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Firewall.Stage;

/// <summary>
/// "Firewall": ordered rules (ingress/egress port or group, prefixes, protocol, ports, ICMP type) with accept, drop
/// and reject; default policies per direction (inbound from the wire denied unless a rule accepts, as Nebula does);
/// stateful connection tracking so replies pass; rate-limited rejects (TCP RST, ICMP administratively
/// prohibited) sent back toward the sender. Reloads live, re-checking tracked connections against the new rules.
/// </summary>
[RouterHostPlugin("Firewall", Description = "Stateful firewall with accept, drop and reject rules")]
public sealed class FirewallStagePlugin : IStagePlugin
{
    /// <inheritdoc />
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) =>
        StageSnapshots<FirewallSettings, FirewallSnapshot>.Validate(settings, FirewallSettings.Parse);

    /// <inheritdoc />
    public IStage Create(StageContext context) =>
        new FirewallStage(context, StageSnapshots<FirewallSettings, FirewallSnapshot>.ParseValid(context.Settings, FirewallSettings.Parse));
}
