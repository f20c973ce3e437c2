using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Plugins;

namespace RouterHost.Tests.Plugins;

/// <summary><c>Plugins:Path</c> and <c>Plugins:Paths</c>: the folders searched for plugin folders, in order.</summary>
public sealed class PluginSearchPathTests
{
    private const string Base = "/opt/routerhost";
    private const string DropIn = "/usr/local/lib/routerhost/plugins";

    private static (List<PluginSearchPath> Paths, List<ConfigurationProblem> Problems) Read(params (string Key, string? Value)[] entries)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in entries)
        {
            data[key] = value;
        }

        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        var problems = new List<ConfigurationProblem>();
        return (PluginDiscovery.SearchPaths(configuration, Base, problems), problems);
    }

    private static IEnumerable<string> Folders(List<PluginSearchPath> paths) => paths.Select(p => p.Path);

    [Fact]
    public void Without_configuration_the_drop_in_folder_then_the_packages_own_are_searched()
    {
        (List<PluginSearchPath> paths, List<ConfigurationProblem> problems) = Read();

        Assert.Empty(problems);
        Assert.Equal([new(DropIn, PluginPathOrigin.DropIn), new($"{Base}/plugins", PluginPathOrigin.Package)], paths);
        Assert.Equal(DropIn, PluginDiscovery.DropInFolder);
    }

    [Fact]
    public void Plugins_Path_is_searched_first_relative_to_the_executables_folder()
    {
        (List<PluginSearchPath> paths, List<ConfigurationProblem> problems) = Read(("Plugins:Path", "extra/"));

        Assert.Empty(problems);
        Assert.Equal([$"{Base}/extra", DropIn, $"{Base}/plugins"], Folders(paths));
        Assert.Equal("Plugins:Path", paths[0].KeyPath);
    }

    [Fact]
    public void Plugins_Paths_are_searched_first_in_list_order()
    {
        (List<PluginSearchPath> paths, List<ConfigurationProblem> problems) = Read(("Plugins:Paths:1", "/srv/b"), ("Plugins:Paths:0", "/srv/a"), ("Plugins:Paths:10", "/srv/c"));

        Assert.Empty(problems);
        Assert.Equal(["/srv/a", "/srv/b", "/srv/c", DropIn, $"{Base}/plugins"], Folders(paths));
        Assert.Equal(["Plugins:Paths:0", "Plugins:Paths:1", "Plugins:Paths:10", null, null], paths.Select(p => p.KeyPath));
    }

    [Fact]
    public void A_configured_standard_folder_moves_up_to_its_configured_place()
    {
        (List<PluginSearchPath> paths, List<ConfigurationProblem> problems) = Read(("Plugins:Paths:0", "plugins"), ("Plugins:Paths:1", DropIn + "/"));

        Assert.Empty(problems);
        Assert.Equal([$"{Base}/plugins", DropIn], Folders(paths));
    }

    [Fact]
    public void Plugins_Paths_from_JSON_read_as_a_list()
    {
        using var json = new MemoryStream("""{ "Plugins": { "Paths": [ "/srv/a", "/srv/b" ] } }"""u8.ToArray());
        IConfigurationRoot configuration = new ConfigurationBuilder().AddJsonStream(json).Build();
        var problems = new List<ConfigurationProblem>();

        List<PluginSearchPath> paths = PluginDiscovery.SearchPaths(configuration, Base, problems);

        Assert.Empty(problems);
        Assert.Equal(["/srv/a", "/srv/b", DropIn, $"{Base}/plugins"], Folders(paths));
    }

    [Theory]
    [InlineData("Plugins:Path", "", "Plugins:Path", "must be a folder holding plugin folders (absolute, or relative to the executable's folder /opt/routerhost); it is empty.")]
    [InlineData("Plugins:Path", "a\u0000b", "Plugins:Path", "must be a folder path, but it contains a NUL character")]
    [InlineData("Plugins:Path:x", "/srv", "Plugins:Path", "must be a folder path (a string), not a section")]
    [InlineData("Plugins:Paths", "/srv/a", "Plugins:Paths", "must be a list of folders, e.g. \"Paths\": [ \"/opt/routerhost/plugins\", \"/srv/plugins\" ] (got '/srv/a'); for one folder, Plugins:Path takes a string")]
    [InlineData("Plugins:Paths:first", "/srv/a", "Plugins:Paths:first", "Plugins:Paths must be a list (a JSON array), but it has the key 'first'")]
    [InlineData("Plugins:Paths:-1", "/srv/a", "Plugins:Paths:-1", "Plugins:Paths must be a list (a JSON array), but it has the key '-1'")]
    [InlineData("Plugins:Paths:0", "  ", "Plugins:Paths:0", "must be a folder holding plugin folders")]
    [InlineData("Plugins:Paths:0:Path", "/srv/a", "Plugins:Paths:0", "must be a folder path (a string), not a section")]
    public void A_bad_value_is_a_problem_at_its_key_path_and_is_left_out(string key, string value, string path, string message)
    {
        (List<PluginSearchPath> paths, List<ConfigurationProblem> problems) = Read((key, value));

        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal(path, problem.Path);
        Assert.StartsWith(message, problem.Message, StringComparison.Ordinal);
        Assert.Equal([DropIn, $"{Base}/plugins"], Folders(paths));
    }

    [Fact]
    public void Path_and_Paths_together_are_a_problem()
    {
        (List<PluginSearchPath> paths, List<ConfigurationProblem> problems) = Read(("Plugins:Path", "/srv/a"), ("Plugins:Paths:0", "/srv/b"));

        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal(new ConfigurationProblem("Plugins:Path", "Plugins:Path and Plugins:Paths are both set: keep one (Plugins:Path is Plugins:Paths with a single folder)"), problem);
        Assert.Equal(["/srv/a", "/srv/b", DropIn, $"{Base}/plugins"], Folders(paths));
    }

    [Fact]
    public void A_folder_listed_twice_is_a_problem_naming_the_first_place()
    {
        (List<PluginSearchPath> paths, List<ConfigurationProblem> problems) = Read(("Plugins:Paths:0", "/srv/a"), ("Plugins:Paths:1", "/srv/../srv/a/"));

        Assert.Equal(new ConfigurationProblem("Plugins:Paths:1", "names the folder '/srv/a' again (as Plugins:Paths:0 does): list each folder once"), Assert.Single(problems));
        Assert.Equal(["/srv/a", DropIn, $"{Base}/plugins"], Folders(paths));
    }
}
