namespace RouterHost.Plugins;

/// <summary>Where a folder of plugin folders comes from, which decides its place in the search order.</summary>
internal enum PluginPathOrigin
{
    /// <summary>Named by configuration (<c>Plugins:Path</c> or <c>Plugins:Paths</c>): searched first, in order.</summary>
    Configured,

    /// <summary>The operator's drop-in folder, <c>/usr/local/lib/routerhost/plugins</c>: searched after the configured ones.</summary>
    DropIn,

    /// <summary>The package's own <c>plugins</c> folder beside the executable: searched last.</summary>
    Package,
}

/// <summary>
/// One folder of plugin folders (each subfolder is one plugin), in the order discovery searches them: a plugin name
/// found in an earlier folder shadows the same name in a later one.
/// </summary>
/// <param name="Path">The folder's full path.</param>
/// <param name="Origin">Why it is searched.</param>
/// <param name="KeyPath">The configuration key that names it (<c>Plugins:Path</c>, <c>Plugins:Paths:1</c>); null when it is a default.</param>
internal sealed record PluginSearchPath(string Path, PluginPathOrigin Origin, string? KeyPath = null)
{
    /// <summary>How <c>routerhost plugins</c> names its origin.</summary>
    public string Describe() => Origin switch
    {
        PluginPathOrigin.Configured => KeyPath ?? "configured",
        PluginPathOrigin.DropIn => "drop-in",
        _ => "package",
    };
}
