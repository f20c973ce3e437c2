namespace RouterHost.Tests.Support;

/// <summary>
/// A scratch folder removed when disposed: root's, mode 0755 (others may enter, only root writes) whatever the umask,
/// so the router trusts what the tests put in it, and an unprivileged user can reach what a test opens to it.
/// </summary>
internal sealed class TempDirectory : IDisposable
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "routerhost-tests-" + Guid.NewGuid().ToString("N")[..12]);
        CreateWithMode(Path, FolderMode);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Copies a built test plugin folder in under another name.</summary>
    public string CopyPlugin(string pluginFolder, string? asName = null)
    {
        string source = System.IO.Path.Combine(RepositoryPaths.TestPlugins, pluginFolder);
        string target = Combine(asName ?? pluginFolder);
        RepositoryPaths.CopyBuiltFolder(source, target);
        return target;
    }

    /// <summary>Writes a file (mode 0644), creating the folders on its way (0755).</summary>
    public string WriteFile(string name, string content)
    {
        string path = Combine(name);
        CreateWithMode(System.IO.Path.GetDirectoryName(path)!, null);
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, FileMode);
        }

        return path;
    }

    /// <summary>Creates a folder below this one with exactly <paramref name="mode"/>.</summary>
    public string CreateFolder(string name, UnixFileMode mode)
    {
        string path = Combine(name);
        CreateWithMode(path, mode);
        return path;
    }

    /// <summary>Creates <paramref name="path"/> (and folders above it, 0755); sets its mode when given.</summary>
    private static void CreateWithMode(string path, UnixFileMode? mode)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, FolderMode);
        if (mode is { } exact)
        {
            File.SetUnixFileMode(path, exact);
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
