namespace RouterHost.Abstractions;

/// <summary>
/// The version of the plugin contract. A plugin records the version it was built against through its
/// reference to this assembly (whose version is <c>Major.Minor.0.0</c>); the host refuses a plugin whose
/// referenced major version is newer than its own, and accepts older majors it still supports.
/// </summary>
public static class PluginContract
{
    /// <summary>Major version: bumped on a breaking change to any contract in this assembly.</summary>
    public const int Major = 1;

    /// <summary>Minor version: bumped when contracts grow compatibly.</summary>
    public const int Minor = 5;

    /// <summary>The name of this assembly, which plugins reference and the host shares with them.</summary>
    public const string AssemblyName = "RouterHost.Abstractions";
}
