using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

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
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        var problems = new List<ConfigurationProblem>();
        FirewallSettings.Parse(settings, problems);
        return problems;
    }

    /// <inheritdoc />
    public IStage Create(StageContext context)
    {
        var problems = new List<ConfigurationProblem>();
        FirewallSettings settings = FirewallSettings.Parse(context.Settings, problems);
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }

        return new FirewallStage(context, settings);
    }
}
