namespace RouterHost.Plugins;

/// <summary>A plugin folder that yielded no usable plugin, and why.</summary>
/// <param name="Folder">The folder's full path.</param>
/// <param name="Message">What is wrong, specifically.</param>
/// <param name="Refused">
/// True when the folder was refused before anything in it was read as a plugin: it is not trusted
/// (<see cref="Linux.FileTrust"/>) or does not match its SHA-256 pin.
/// </param>
internal sealed record PluginFolderError(string Folder, string Message, bool Refused = false)
{
    public override string ToString() => $"{Folder}: {Message}";
}
