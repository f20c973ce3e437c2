using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.NewerMinor;

/// <summary>"NewerMinor": a backend built against the next minor version of the host's contract.</summary>
[RouterHostPlugin("NewerMinor", Description = "Built against the next minor version of the plugin contract")]
public sealed class NewerMinorBackendPlugin : IBackendPlugin
{
    public NewerMinorBackendPlugin() =>
        throw new InvalidOperationException("the NewerMinor plugin must never be constructed by a host with an older contract minor");

    public BackendCapabilities Capabilities => BackendCapabilities.None;

    public string? UnsupportedReason => null;

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IContainer Create(BackendContext context) => throw new NotSupportedException();
}
