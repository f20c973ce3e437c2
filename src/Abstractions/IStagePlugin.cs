using Microsoft.Extensions.Configuration;

namespace RouterHost.Abstractions;

/// <summary>
/// A stage: a named factory (see <see cref="RouterHostPluginAttribute"/>) for one link of the chain. The
/// built-in stages (routing, firewall, encryption) and third-party ones (NAT, capture, rate limit) are all
/// made this way and chosen by name in configuration.
/// </summary>
public interface IStagePlugin
{
    /// <summary>Checks the stage's <c>Settings</c> section; problems name the full key path.</summary>
    IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings);

    /// <summary>Creates the stage. A stage that terminates tunnels registers its peers here.</summary>
    IStage Create(StageContext context);
}
