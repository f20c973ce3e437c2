using System.Reflection;
using RouterHost.Abstractions;
using RouterHost.Plugins;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Plugins;

public sealed class PluginCatalogTests
{
    private static PluginCatalog Catalog => TestRouter.Catalog;

    [Fact]
    public void Discovers_backend_and_stage_plugins_from_their_folders()
    {
        PluginDescriptor memory = Assert.IsType<PluginDescriptor>(Catalog.Find("Memory", PluginKind.Backend));
        Assert.True(memory.IsUsable, memory.Error);
        Assert.Equal(Path.Combine(RepositoryPaths.TestPlugins, "MemoryBackend"), memory.Source);
        Assert.Equal(new Version(PluginContract.Major, PluginContract.Minor), memory.ContractVersion);
        Assert.True(memory.Capabilities.HasFlag(BackendCapabilities.MultiQueue));

        foreach (string stage in new[] { "Forward", "PassThrough", "Bounce", "Fault", "DependencyProbe" })
        {
            PluginDescriptor d = Assert.IsType<PluginDescriptor>(Catalog.Find(stage, PluginKind.Stage));
            Assert.True(d.IsUsable, d.Error);
        }
    }

    [Fact]
    public void Plugin_names_are_case_insensitive()
    {
        Assert.Same(Catalog.Find("Memory", PluginKind.Backend), Catalog.Find("memory", PluginKind.Backend));
    }

    [Fact]
    public void Plugins_share_the_contract_types_with_the_host_but_live_in_their_own_load_context()
    {
        PluginDescriptor memory = Catalog.Find("Memory", PluginKind.Backend)!;
        Assert.IsAssignableFrom<IBackendPlugin>(memory.Factory);
        Assembly pluginAssembly = memory.Factory!.GetType().Assembly;
        Assert.Same(memory.LoadContext, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(pluginAssembly));

        // The plugin's view of the SDK is the host's assembly, not a copy.
        Assembly contractSeenByPlugin = memory.LoadContext!.LoadFromAssemblyName(new AssemblyName(PluginContract.AssemblyName));
        Assert.Same(typeof(IQueue).Assembly, contractSeenByPlugin);
    }

    [Fact]
    public void A_plugin_carrying_a_different_version_of_a_private_dependency_loads_its_own_copy()
    {
        PluginDescriptor probe = Catalog.Find("DependencyProbe", PluginKind.Stage)!;
        Assert.True(probe.IsUsable, probe.Error);

        Version hostVersion = typeof(System.CommandLine.RootCommand).Assembly.GetName().Version!;
        Assembly pluginCopy = probe.LoadContext!.LoadFromAssemblyName(new AssemblyName("System.CommandLine"));
        Version pluginVersion = pluginCopy.GetName().Version!;

        Assert.Equal(2, hostVersion.Major);
        Assert.Equal(3, pluginVersion.Major);
        Assert.NotSame(typeof(System.CommandLine.RootCommand).Assembly, pluginCopy);
        Assert.StartsWith(Path.Combine(RepositoryPaths.TestPlugins, "DependencyProbe"), pluginCopy.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_resolves_native_libraries_from_its_own_folder()
    {
        PluginDescriptor probe = Catalog.Find("DependencyProbe", PluginKind.Stage)!;
        Assert.True(File.Exists(Path.Combine(probe.Source, "librouterhost_probe_z.so")));
        Assert.False(File.Exists("/lib/x86_64-linux-gnu/librouterhost_probe_z.so"));

        // Creating the stage calls into the native library; only the plugin's load context can find it.
        var ports = new RouterHost.Pipeline.PortRegistry();
        var settings = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build().GetSection("Settings");
        using IStage stage = probe.Stage!.Create(new StageContext("probe", settings, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, ports, 0, 1));

        string? version = AppContext.GetData("RouterHost.DependencyProbe/NativeVersion") as string;
        Assert.False(string.IsNullOrEmpty(version));
        Assert.Matches(@"^\d+\.\d+", version);
    }

    [Fact]
    public void A_plugin_built_against_a_newer_contract_major_version_is_refused_saying_so()
    {
        PluginFolderError error = Assert.Single(Catalog.FolderErrors, e => e.Folder.EndsWith("FutureContract", StringComparison.Ordinal));
        Assert.Contains("built against plugin contract 3.0", error.Message, StringComparison.Ordinal);
        Assert.Contains($"newer than this host's contract {PluginContract.Major}.{PluginContract.Minor}", error.Message, StringComparison.Ordinal);
        Assert.Null(Catalog.Find("Future", PluginKind.Backend));
    }

    [Fact]
    public void A_plugin_whose_factory_throws_is_reported_by_name_and_the_others_load()
    {
        PluginDescriptor thrower = Assert.IsType<PluginDescriptor>(Catalog.Find("Thrower", PluginKind.Backend));
        Assert.False(thrower.IsUsable);
        Assert.Contains("ThrowingBackendPlugin threw InvalidOperationException", thrower.Error, StringComparison.Ordinal);
        Assert.Contains("cannot find its native driver", thrower.Error, StringComparison.Ordinal);
        Assert.True(Catalog.Find("Memory", PluginKind.Backend)!.IsUsable);
    }

    [Fact]
    public void A_folder_without_an_entry_assembly_is_reported()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("Empty"));
        dir.WriteFile("Notes/readme.txt", "not a plugin");
        dir.CopyPlugin("TestStages");

        PluginCatalog catalog = PluginCatalog.Discover(dir.Path, []);

        Assert.Contains(catalog.FolderErrors, e => e.Folder == dir.Combine("Empty") && e.Message.Contains("no entry assembly: expected 'Empty.dll'", StringComparison.Ordinal));
        Assert.Contains(catalog.FolderErrors, e => e.Folder == dir.Combine("Notes") && e.Message.Contains("no entry assembly", StringComparison.Ordinal));
        Assert.True(catalog.Find("Forward", PluginKind.Stage)!.IsUsable);
    }

    [Fact]
    public void An_assembly_without_plugin_types_is_reported()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("NoPlugins"));
        File.Copy(typeof(System.CommandLine.RootCommand).Assembly.Location, dir.Combine("NoPlugins", "NoPlugins.dll"));

        PluginCatalog catalog = PluginCatalog.Discover(dir.Path, []);

        PluginFolderError error = Assert.Single(catalog.FolderErrors);
        Assert.Contains("no plugin type", error.Message, StringComparison.Ordinal);
        Assert.Contains("NoPlugins.dll", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_entry_assembly_is_reported()
    {
        using var dir = new TempDirectory();
        dir.WriteFile("Broken/Broken.dll", "MZ this is not a PE file");

        PluginCatalog catalog = PluginCatalog.Discover(dir.Path, []);

        PluginFolderError error = Assert.Single(catalog.FolderErrors);
        Assert.Equal(dir.Combine("Broken"), error.Folder);
        Assert.Contains("could not be loaded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_plugins_claiming_the_same_name_are_both_refused_naming_both()
    {
        using var dir = new TempDirectory();
        dir.CopyPlugin("MemoryBackend", "MemoryA");
        dir.CopyPlugin("MemoryBackend", "MemoryB");
        dir.CopyPlugin("TestStages");

        PluginCatalog catalog = PluginCatalog.Discover(dir.Path, []);

        var claims = catalog.Plugins.Where(p => p.Name == "Memory").ToList();
        Assert.Equal(2, claims.Count);
        foreach (PluginDescriptor claim in claims)
        {
            Assert.False(claim.IsUsable);
            Assert.Contains("two backend plugins claim the name 'Memory'", claim.Error, StringComparison.Ordinal);
            Assert.Contains(dir.Combine("MemoryA"), claim.Error, StringComparison.Ordinal);
            Assert.Contains(dir.Combine("MemoryB"), claim.Error, StringComparison.Ordinal);
        }

        Assert.True(catalog.Find("Bounce", PluginKind.Stage)!.IsUsable);
    }

    [Fact]
    public void Discovery_reads_names_from_metadata_and_runs_a_plugins_code_only_when_it_is_asked_for_by_name()
    {
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", TempDirectory.FolderMode);
        RepositoryPaths.CopyBuiltFolder(EvilPlugin.BuiltFolder, Path.Combine(plugins, "Evil"));
        dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");

        PluginCatalog catalog = PluginCatalog.Discover(plugins, []);

        PluginDescriptor evil = Assert.Single(catalog.Plugins, p => p.Name == "Evil");
        Assert.Equal(PluginKind.Backend, evil.Kind);
        Assert.Equal("RouterHost.TestPlugins.Evil.EvilBackendPlugin", evil.TypeName);
        Assert.Equal("Leaves a marker for every piece of its code that runs", evil.Description);
        Assert.False(evil.IsConstructed);
        Assert.Equal("Evil, Memory", catalog.KnownNames(PluginKind.Backend));
        Assert.True(catalog.Find("Memory", PluginKind.Backend)!.IsUsable);
        Assert.Null(catalog.Find("Evil", PluginKind.Stage));
        Assert.Empty(EvilPlugin.MarkersLeft(dir.Path));

        PluginDescriptor found = catalog.Find("evil", PluginKind.Backend)!;
        Assert.Same(evil, found);
        Assert.True(found.IsUsable, found.Error);
        Assert.Equal(EvilPlugin.AllMarkers.Order(StringComparer.Ordinal), EvilPlugin.MarkersLeft(dir.Path));
    }

    [Fact]
    public void A_pinned_folder_loads_when_its_files_hash_to_the_pin_and_is_refused_naming_both_hashes_when_not()
    {
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", TempDirectory.FolderMode);
        string memory = dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");
        string hash = Assert.Single(PluginCatalog.Discover(plugins, []).Folders).Sha256!;

        PluginCatalog pinned = PluginCatalog.Discover(plugins, [], new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["memorybackend"] = hash });
        Assert.True(pinned.Find("Memory", PluginKind.Backend)!.IsUsable);

        string other = new('a', 64);
        PluginCatalog refused = PluginCatalog.Discover(plugins, [], new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["MemoryBackend"] = other });
        PluginFolderError error = Assert.Single(refused.FolderErrors);
        Assert.True(error.Refused);
        Assert.Equal(memory, error.Folder);
        Assert.Equal(
            $"plugin folder '{memory}' does not match its pin: its files hash to {hash}, but Plugins:Sha256:MemoryBackend is {other}; if the plugin was updated on purpose, set Plugins:Sha256:MemoryBackend to the new hash, otherwise restore the plugin's files",
            error.Message);
        Assert.Null(refused.Find("Memory", PluginKind.Backend));
        Assert.Equal(error.Message, refused.RefusalFor("MemoryBackend"));
    }

    [Fact]
    public void A_missing_plugins_folder_yields_an_empty_catalog()
    {
        PluginCatalog catalog = PluginCatalog.Discover(Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid()), []);
        Assert.Empty(catalog.Plugins);
        Assert.Empty(catalog.FolderErrors);
        Assert.Equal("none", catalog.KnownNames(PluginKind.Backend));
    }

    [Fact]
    public void Building_the_solution_places_host_plugins_beside_the_host()
    {
        // Every plugin project under plugins/ deploys itself to the host's plugins/<Name>/ folder.
        string hostPlugins = Path.Combine(Path.GetDirectoryName(RepositoryPaths.HostDll)!, "plugins");
        string[] projects = Directory.Exists(Path.Combine(RepositoryPaths.Root, "plugins"))
            ? Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "plugins"), "*.csproj", SearchOption.AllDirectories)
            : [];
        foreach (string project in projects)
        {
            string name = Path.GetFileName(Path.GetDirectoryName(project)!);
            Assert.True(Directory.Exists(Path.Combine(hostPlugins, name)), $"plugin {name} was not deployed to {hostPlugins}");
        }
    }
}
