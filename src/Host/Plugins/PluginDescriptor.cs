using RouterHost.Abstractions;

namespace RouterHost.Plugins;

/// <summary>
/// One plugin found by discovery: what it is, where it came from, and either its factory or why it cannot
/// be used.
/// </summary>
internal sealed class PluginDescriptor
{
    public required string Name { get; init; }

    public required PluginKind Kind { get; init; }

    /// <summary>The folder it was loaded from, or "built-in".</summary>
    public required string Source { get; init; }

    /// <summary>The factory type's full name.</summary>
    public required string TypeName { get; init; }

    public string? Description { get; init; }

    /// <summary>The plugin assembly's own version.</summary>
    public required Version Version { get; init; }

    /// <summary>The plugin contract version it was built against.</summary>
    public required Version ContractVersion { get; init; }

    /// <summary>The factory; null when <see cref="Error"/> is set.</summary>
    public object? Factory { get; init; }

    /// <summary>Why the plugin cannot be used; null when it can.</summary>
    public string? Error { get; set; }

    /// <summary>The load context, for plugins loaded from a folder.</summary>
    public PluginLoadContext? LoadContext { get; init; }

    public bool IsUsable => Error is null && Factory is not null;

    public IBackendPlugin? Backend => Factory as IBackendPlugin;

    public IStagePlugin? Stage => Factory as IStagePlugin;

    /// <summary>Capabilities of a backend; None for stages.</summary>
    public BackendCapabilities Capabilities => Backend?.Capabilities ?? BackendCapabilities.None;

    /// <summary>Why a usable backend cannot run on this platform, or null.</summary>
    public string? UnsupportedReason => Backend?.UnsupportedReason;
}
