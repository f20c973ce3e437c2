using RouterHost.Abstractions;

namespace RouterHost.Plugins;

/// <summary>
/// One plugin found by discovery: what its metadata declares, where it came from, and — once the catalog has
/// constructed it (only when configuration names it, or <c>routerhost plugins</c> lists everything) — its factory or
/// why it cannot be used.
/// </summary>
internal sealed class PluginDescriptor
{
    public required string Name { get; init; }

    /// <summary>What it provides; null while only loading can tell (its metadata does not say).</summary>
    public required PluginKind? Kind { get; set; }

    /// <summary>The folder it was found in, or "built-in".</summary>
    public required string Source { get; init; }

    /// <summary>The factory type's full name.</summary>
    public required string TypeName { get; init; }

    public string? Description { get; init; }

    /// <summary>The plugin assembly's own version.</summary>
    public required Version Version { get; init; }

    /// <summary>The plugin contract version it was built against.</summary>
    public required Version ContractVersion { get; init; }

    /// <summary>The entry assembly the factory type is in; null for built-ins.</summary>
    public string? EntryAssembly { get; init; }

    /// <summary>The SHA-256 of its folder's files (<see cref="PluginFolderHash"/>); null for built-ins.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Whether the catalog has tried to construct the factory (it then has <see cref="Factory"/> or <see cref="Error"/>).</summary>
    public bool IsConstructed { get; set; }

    /// <summary>The factory; null until constructed, or when <see cref="Error"/> is set.</summary>
    public object? Factory { get; set; }

    /// <summary>Why the plugin cannot be used; null when it can (or has not been constructed yet).</summary>
    public string? Error { get; set; }

    /// <summary>The plugin's own load context (McMaster.NETCore.Plugins'), once loaded from a folder.</summary>
    public System.Runtime.Loader.AssemblyLoadContext? LoadContext { get; set; }

    /// <summary>The folder of plugin folders it was found in; null for built-ins.</summary>
    public PluginSearchPath? SearchPath { get; init; }

    /// <summary>
    /// The folder of the plugin of the same name and kind found earlier in the search order, which is used instead of
    /// this one (never loaded); null when this one is not shadowed.
    /// </summary>
    public string? ShadowedBy { get; set; }

    public bool IsUsable => Error is null && Factory is not null;

    public IBackendPlugin? Backend => Factory as IBackendPlugin;

    public IStagePlugin? Stage => Factory as IStagePlugin;

    /// <summary>Capabilities of a backend; None for stages.</summary>
    public BackendCapabilities Capabilities => Backend?.Capabilities ?? BackendCapabilities.None;

    /// <summary>Why a usable backend cannot run on this platform, or null.</summary>
    public string? UnsupportedReason => Backend?.UnsupportedReason;
}
