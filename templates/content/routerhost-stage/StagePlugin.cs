using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHostStage1;

/// <summary>
/// The "RouterHostStage1" stage's factory: the host finds it by its <see cref="RouterHostPluginAttribute"/> and creates it
/// with its public parameterless constructor, which must do nothing (the host may list plugins without using them).
/// </summary>
/// <remarks>
/// Configuration (<c>Pipeline:Stages:N</c>): <c>{ "Type": "RouterHostStage1", "Settings": { "MaxLength": 1500 } }</c>.
/// <see cref="Validate"/> and <see cref="Create"/> run on the control plane (startup, <c>routerhost validate</c>), never on
/// the data path: they may allocate and throw.
/// </remarks>
[RouterHostPlugin("RouterHostStage1", Description = "Counts packets and drops those longer than MaxLength")]
public sealed class StagePlugin : IStagePlugin
{
    /// <summary>
    /// Checks the stage's <c>Settings</c> section and returns every problem, each naming its full key path
    /// (<c>Pipeline:Stages:0:Settings:MaxLength: must be a whole number between 20 and 65535 (got 'x')</c>): the host
    /// prints them and does not start.
    /// </summary>
    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reader = new SettingsReader([]);
        _ = StageSettings.Read(settings, reader);
        return reader.Problems;
    }

    /// <summary>Creates the stage from settings <see cref="Validate"/> accepted.</summary>
    public IStage Create(StageContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var reader = new SettingsReader([]);
        StageSettings settings = StageSettings.Read(context.Settings, reader);
        if (reader.Problems.Count > 0)
        {
            throw new InvalidOperationException(reader.Problems[0].ToString());
        }

        return new CountingStage(settings);
    }
}
