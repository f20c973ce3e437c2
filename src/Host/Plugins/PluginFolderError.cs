namespace RouterHost.Plugins;

/// <summary>A plugin folder that yielded no usable plugin, and why.</summary>
/// <param name="Folder">The folder's full path.</param>
/// <param name="Message">What is wrong, specifically.</param>
internal sealed record PluginFolderError(string Folder, string Message)
{
    public override string ToString() => $"{Folder}: {Message}";
}
