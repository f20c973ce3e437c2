namespace RouterHost.Abstractions;

/// <summary>
/// Marks a public, non-abstract class with a public parameterless constructor as a RouterHost plugin
/// factory. The class implements <see cref="IBackendPlugin"/> or <see cref="IStagePlugin"/>. The name is
/// what configuration uses to select the plugin (an interface's <c>Backend</c>, a stage's <c>Type</c>);
/// it is read from metadata, so a plugin whose constructor throws is still reported by name.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class RouterHostPluginAttribute : Attribute
{
    /// <summary>Declares a plugin factory with the given name.</summary>
    public RouterHostPluginAttribute(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The name configuration uses for this plugin; case-insensitive, unique across plugins.</summary>
    public string Name { get; }

    /// <summary>One line saying what the plugin does.</summary>
    public string? Description { get; init; }
}
