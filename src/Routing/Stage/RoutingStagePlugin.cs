using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Settings;

namespace RouterHost.Routing.Stage;

/// <summary>
/// "Routing": longest-prefix match over IPv4 and IPv6 to an interface (optionally via a next hop) or a peer, ECMP
/// by flow hash, TTL / hop-limit decrement with ICMP time-exceeded, ICMP destination-unreachable when no route
/// matches, and cryptokey routing (a peer's packets must come from its allowed prefixes). Reloads live.
/// </summary>
[RouterHostPlugin("Routing", Description = "Longest-prefix-match routing with ECMP, TTL handling, ICMP errors and cryptokey routing")]
public sealed class RoutingStagePlugin : IStagePlugin
{
    /// <inheritdoc />
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) =>
        StageSnapshots<RoutingSettings, RoutingSnapshot>.Validate(settings, RoutingSettings.Parse);

    /// <inheritdoc />
    public IStage Create(StageContext context)
    {
        RoutingSettings settings = StageSnapshots<RoutingSettings, RoutingSnapshot>.ParseValid(context.Settings, RoutingSettings.Parse);
        var stage = new RoutingStage(context.Name, settings, context.LoggerFactory);
        context.Services.Publish<IRouteResolver>(stage);
        context.Services.Publish<INextHopTable>(stage.NextHops);
        return stage;
    }
}
