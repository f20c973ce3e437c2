using Microsoft.Extensions.Configuration;

namespace RouterHost.Abstractions;

/// <summary>
/// A stage whose settings can change while traffic flows (routes, rules). When the configuration is reloaded
/// (SIGHUP, or a change to a configuration file) the host validates the whole configuration first; only if it
/// is valid does it call <see cref="Reconfigure"/>, so a stage always works from its last good settings.
/// <para>
/// A stage therefore compiles what it needs from its settings into an immutable snapshot (in
/// <see cref="IStagePlugin.Create"/> and in <see cref="Reconfigure"/>) and swaps it in atomically
/// (<c>Volatile.Write</c>); workers read the current snapshot per batch. It never reads its live
/// <see cref="StageContext.Settings"/> on the data path: after an invalid reload that section already holds
/// the refused values.
/// </para>
/// </summary>
public interface IReconfigurableStage
{
    /// <summary>
    /// Applies new settings. Called off the data path (on the host's reload thread), never concurrently with
    /// itself. Returns the problems (with key paths) if the stage refuses them, in which case it keeps its
    /// current snapshot; an empty list means the new settings are in force.
    /// </summary>
    IReadOnlyList<ConfigurationProblem> Reconfigure(IConfigurationSection settings, IPortRegistry ports);
}
