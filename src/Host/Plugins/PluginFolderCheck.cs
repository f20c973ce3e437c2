using RouterHost.Linux;

namespace RouterHost.Plugins;

/// <summary>
/// The step before anything of a plugin folder is read as a plugin: the folder, every file and folder in it, and every
/// folder above it must be trusted (<see cref="FileTrust"/>: root's or the router's user's, writable by nobody else),
/// and when configuration pins the folder (<c>Plugins:Sha256:&lt;Folder&gt;</c>) its files must hash to the pin
/// (<see cref="PluginFolderHash"/>). Kept apart from loading so whichever loader loads plugins calls it first.
/// </summary>
internal static class PluginFolderCheck
{
    /// <summary>
    /// Checks <paramref name="folder"/>; false with <paramref name="problem"/> when it must not be loaded. When the
    /// folder is trusted, <paramref name="sha256"/> is its hash (also when a pin refuses it).
    /// </summary>
    public static bool Check(string folder, IReadOnlyDictionary<string, string>? pins, out string? sha256, out string? problem)
    {
        sha256 = null;
        if (!FileTrust.CheckFolderTree(folder, TrustedPathKind.PluginFolder, out problem, out IReadOnlyList<TrustedFile> files))
        {
            return false;
        }

        try
        {
            sha256 = PluginFolderHash.Compute(files);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"plugin folder '{folder}' cannot be read to hash it: {ex.Message}";
            return false;
        }

        string name = Path.GetFileName(folder);
        if (pins is not null && pins.TryGetValue(name, out string? pin))
        {
            string key = $"{Configuration.ConfigurationKeys.PluginsSha256}:{name}";
            if (!PluginFolderHash.IsHash(pin))
            {
                problem = $"plugin folder '{folder}' is pinned by {key}, which is not a SHA-256 (64 hex digits; 'routerhost plugins' prints the folder's): it is not loaded until the pin is fixed";
                return false;
            }

            if (!string.Equals(pin, sha256, StringComparison.OrdinalIgnoreCase))
            {
                problem = $"plugin folder '{folder}' does not match its pin: its files hash to {sha256}, but {key} is {pin.ToLowerInvariant()}; if the plugin was updated on purpose, set {key} to the new hash, otherwise restore the plugin's files";
                return false;
            }
        }

        return true;
    }
}
