using RouterHost.Linux.TestSupport;

namespace RouterHost.Tests.Support;

/// <summary>A scratch folder removed when disposed.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "routerhost-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
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

    public string WriteFile(string name, string content)
    {
        string path = Combine(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
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
