namespace RouterHost.Linux.TestSupport;

/// <summary>
/// Where tests find the repository and what the solution built in it: the folder holding <c>RouterHost.sln</c> above
/// the test's output, the host's build output of the same configuration (with its deployed <c>plugins/</c>), and the
/// test plugins that tests/TestPlugins deploy under the host tests' output.
/// </summary>
public static class RepositoryPaths
{
#if DEBUG
    /// <summary>The build configuration these tests (and so the host they run) were built in.</summary>
    public const string Configuration = "Debug";
#else
    /// <summary>The build configuration these tests (and so the host they run) were built in.</summary>
    public const string Configuration = "Release";
#endif

    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The repository's root: the nearest folder above the test's output that holds <c>RouterHost.sln</c>.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The host's build output (<c>src/Host/bin/&lt;configuration&gt;/net10.0</c>).</summary>
    public static string HostDirectory => Path.Combine(Root, "src", "Host", "bin", Configuration, "net10.0");

    /// <summary>The <c>routerhost</c> executable's assembly as the solution built it.</summary>
    public static string HostDll => Path.Combine(HostDirectory, "routerhost.dll");

    /// <summary>The plugins folder the host's build deployed the repository's plugins to (<c>plugins/&lt;Name&gt;/</c>).</summary>
    public static string HostPlugins => Path.Combine(HostDirectory, "plugins");

    /// <summary>Where tests/TestPlugins deploy their plugin folders: <c>testplugins/</c> in the host tests' output.</summary>
    public static string TestPlugins => Path.Combine(Root, "tests", "Host.Tests", "bin", Configuration, "net10.0", "testplugins");

    /// <summary>
    /// Copies the built folder <paramref name="source"/> (a deployed plugin, say) with everything below it to
    /// <paramref name="target"/>, creating it; throws <see cref="DirectoryNotFoundException"/> when it was not built.
    /// </summary>
    public static void CopyBuiltFolder(string source, string target)
    {
        if (!Directory.Exists(source))
        {
            throw new DirectoryNotFoundException($"{source} was not built");
        }

        CopyTree(source, target);
    }

    private static void CopyTree(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (string directory in Directory.GetDirectories(source))
        {
            CopyTree(directory, Path.Combine(target, Path.GetFileName(directory)));
        }
    }

    private static string FindRoot()
    {
        for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "RouterHost.sln")))
            {
                return directory;
            }
        }

        throw new InvalidOperationException("RouterHost.sln not found above " + AppContext.BaseDirectory);
    }
}
