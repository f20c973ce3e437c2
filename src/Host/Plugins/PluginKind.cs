namespace RouterHost.Plugins;

/// <summary>What a plugin provides.</summary>
internal enum PluginKind
{
    /// <summary>A backend: <see cref="Abstractions.IBackendPlugin"/>.</summary>
    Backend,

    /// <summary>A stage: <see cref="Abstractions.IStagePlugin"/>.</summary>
    Stage,
}
