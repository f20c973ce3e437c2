namespace RouterHost.Tests.Support;

/// <summary>Where the tests find what the solution built.</summary>
internal static class TestPaths
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>The test plugins, deployed beside the tests by their builds.</summary>
    public static string TestPlugins { get; } = Path.Combine(AppContext.BaseDirectory, "testplugins");

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The routerhost executable's assembly as the solution built it (with its plugins/ folder).</summary>
    public static string HostDll { get; } = Path.Combine(RepoRoot, "src", "Host", "bin", Configuration, "net10.0", "routerhost.dll");

    private static string FindRepoRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "RouterHost.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("RouterHost.sln not found above " + AppContext.BaseDirectory);
    }
}
