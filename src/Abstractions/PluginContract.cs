namespace RouterHost.Abstractions;

/// <summary>
/// The version of the plugin contract, defined here and nowhere else. A plugin records the version it was built
/// against through its reference to this assembly (whose version is <c>Major.Minor.0.0</c>, read from this file by
/// the project); the host refuses a plugin whose referenced major version is not its own, or whose minor version is
/// newer than its own.
/// </summary>
public static class PluginContract
{
    /// <summary>Major version: bumped on a breaking change to any contract in this assembly.</summary>
    public const int Major = 2;

    /// <summary>Minor version: bumped when contracts grow compatibly.</summary>
    public const int Minor = 0;

    /// <summary>The name of this assembly, which plugins reference and the host shares with them.</summary>
    public const string AssemblyName = "RouterHost.Abstractions";

    /// <summary>The contract version as a <see cref="System.Version"/> (<c>Major.Minor</c>).</summary>
    public static Version Version { get; } = new(Major, Minor);

    /// <summary>The contract version as text, <c>"Major.Minor"</c> (e.g. <c>"2.0"</c>), as the host's status shows it.</summary>
    public static string Text => $"{Major}.{Minor}";
}
