using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.ThrowingFactory;

/// <summary>"Thrower": its constructor fails, as a plugin with a broken installation would.</summary>
[RouterHostPlugin("Thrower", Description = "A backend whose factory throws")]
public sealed class ThrowingBackendPlugin : IBackendPlugin
{
    public ThrowingBackendPlugin() =>
        throw new InvalidOperationException("simulated: the Thrower backend cannot find its native driver");

    public BackendCapabilities Capabilities => BackendCapabilities.None;

    public string? UnsupportedReason => null;

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IContainer Create(BackendContext context) => throw new NotSupportedException();
}
