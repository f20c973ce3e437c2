using Microsoft.Extensions.Configuration;

namespace RouterHost.Abstractions;

/// <summary>
/// A backend: a named factory (see <see cref="RouterHostPluginAttribute"/>) that turns an interface's
/// configuration section into a <see cref="IContainer"/>. Implementations have a public parameterless
/// constructor that does no work; everything happens in <see cref="Create"/>.
/// </summary>
public interface IBackendPlugin
{
    /// <summary>What the backend can do.</summary>
    BackendCapabilities Capabilities { get; }

    /// <summary>Null if the backend runs on this platform, otherwise why it does not (shown at startup).</summary>
    string? UnsupportedReason { get; }

    /// <summary>
    /// Checks an interface's <c>Settings</c> section without touching any device; problems name the full key
    /// path (<see cref="Microsoft.Extensions.Configuration.IConfigurationSection.Path"/> of the offending value).
    /// </summary>
    IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings);

    /// <summary>Opens and configures the device. Throws with a clear message (and errno) when it cannot.</summary>
    IContainer Create(BackendContext context);
}
