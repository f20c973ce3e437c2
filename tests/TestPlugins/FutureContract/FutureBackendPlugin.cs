using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.FutureContract;

/// <summary>"Future": a backend for contract 2.0.</summary>
[RouterHostPlugin("Future", Description = "Built against plugin contract 2.0")]
public sealed class FutureBackendPlugin : IBackendPlugin
{
    public BackendCapabilities Capabilities => BackendCapabilities.None;

    public string? UnsupportedReason => null;

    public IReadOnlyList<ConfigurationProblem> Validate(IConfigurationSection settings) => [];

    public IContainer Create(BackendContext context) => throw new NotSupportedException();
}
