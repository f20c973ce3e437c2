namespace RouterHost.Linux;

/// <summary>
/// What a path that <see cref="FileTrust"/> checks is to RouterHost: it names the path in a refusal and decides the
/// rule for the object itself (a file or a folder; for a key, not even readable by others).
/// </summary>
public enum TrustedPathKind
{
    /// <summary>A configuration file (<c>--config</c>): a regular file.</summary>
    ConfigurationFile,

    /// <summary>A private or preshared key file: a regular file that group and others cannot access at all.</summary>
    KeyFile,

    /// <summary>The folder that holds the plugin folders (<c>Plugins:Path</c>).</summary>
    PluginsFolder,

    /// <summary>One plugin's folder.</summary>
    PluginFolder,

    /// <summary>A file or a folder inside a plugin folder.</summary>
    PluginFile,

    /// <summary>The folder that holds the control socket.</summary>
    ControlSocketFolder,
}
