using System.Text;
using FsCheck;
using FsCheck.Fluent;
using RouterHost.Plugins;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Plugins;

/// <summary>
/// A plugin's runtime config may name probing paths the loader would search outside the plugin's (trusted) folder:
/// such a folder is refused before anything in it is loaded.
/// </summary>
public sealed class PluginRuntimeConfigTests
{
    private static List<string> Read(string json) => PluginRuntimeConfig.ProbingPaths(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void The_probing_paths_are_read_from_runtimeOptions()
    {
        Assert.Equal(["/home/user/.nuget/packages", "/tmp/x"], Read("""{ "runtimeOptions": { "tfm": "net10.0", "additionalProbingPaths": [ "/home/user/.nuget/packages", "/tmp/x" ] } }"""));
        Assert.Equal(["/a", "/b"], Read("""{ "RuntimeOptions": { "AdditionalProbingPaths": [ "/a" ] }, "runtimeOptions": { "additionalProbingPaths": [ "/b" ] } }"""));
        Assert.Equal(["1", "{}"], Read("""{ "runtimeOptions": { "additionalProbingPaths": [ 1, {} ] } }"""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{ \"runtimeOptions\": { \"additionalProbingPaths\": [ \"/a\" ] ")]
    [InlineData("// a comment\n{ \"runtimeOptions\": { \"additionalProbingPaths\": [ \"/a\" ] } }")]
    [InlineData("[ { \"runtimeOptions\": { \"additionalProbingPaths\": [ \"/a\" ] } } ]")]
    [InlineData("{ \"runtimeOptions\": [ { \"additionalProbingPaths\": [ \"/a\" ] } ] }")]
    [InlineData("{ \"runtimeOptions\": { \"additionalProbingPaths\": \"/a\" } }")]
    [InlineData("{ \"runtimeOptions\": { \"additionalProbingPaths\": [] } }")]
    [InlineData("{ \"runtimeOptions\": { \"tfm\": \"net10.0\", \"framework\": { \"name\": \"Microsoft.NETCore.App\", \"version\": \"10.0.0\" } } }")]
    [InlineData("{ \"additionalProbingPaths\": [ \"/a\" ] }")]
    public void A_file_the_loader_would_ignore_or_that_names_no_probing_path_names_none(string json)
    {
        Assert.Empty(Read(json));
    }

    [Fact]
    public void Invalid_UTF8_names_no_path_and_the_folder_is_refused_for_it()
    {
        // Found by the runtimeconfig fuzz target: a property name that is not UTF-8 made System.Text.Json throw when
        // the name was transcoded. A loader comparing raw bytes could still find probing paths in such a file, so
        // discovery refuses it rather than reading it as naming none.
        byte[] bytes = [.. "{ \"rX\": 1, \"runtimeOptions\": { \"additionalProbingPaths\": [ \"/a\" ] } }"u8];
        bytes[4] = 0xFF;
        Assert.Empty(PluginRuntimeConfig.ProbingPaths(bytes));

        using var dir = new TempDirectory();
        string entry = dir.Combine("Plugin.dll");
        File.WriteAllBytes(dir.Combine("Plugin.runtimeconfig.json"), bytes);
        string? problem = PluginRuntimeConfig.Problem(entry);
        Assert.NotNull(problem);
        Assert.Contains("'Plugin.runtimeconfig.json' is not valid UTF-8", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_bytes_are_read_without_throwing()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            _ = PluginRuntimeConfig.ProbingPaths(bytes ?? []);
            return true;
        }).QuickCheckThrowOnFailure();

        Gen<string> fragments = Gen.Elements("{", "}", "[", "]", ",", ":", "\"runtimeOptions\"", "\"additionalProbingPaths\"", "\"/a\"", "1", "null", " ", "\"");
        Prop.ForAll(Gen.ListOf(fragments).Select(parts => string.Concat(parts)).ToArbitrary(), text =>
        {
            _ = Read(text);
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_plugin_folder_whose_runtime_config_names_probing_paths_is_refused_and_the_others_load()
    {
        using var dir = new TempDirectory();
        string memory = dir.CopyPlugin("MemoryBackend");
        dir.CopyPlugin("TestStages");
        dir.WriteFile("MemoryBackend/RouterHost.TestPlugins.MemoryBackend.runtimeconfig.json", """{ "runtimeOptions": { "additionalProbingPaths": [ "/tmp/anyone" ] } }""");

        PluginCatalog catalog = PluginCatalog.Discover(dir.Path, []);

        PluginFolderError error = Assert.Single(catalog.FolderErrors);
        Assert.True(error.Refused);
        Assert.Equal(
            $"plugin folder '{memory}' is refused: 'RouterHost.TestPlugins.MemoryBackend.runtimeconfig.json' names runtimeOptions.additionalProbingPaths ('/tmp/anyone'): "
            + "folders outside the plugin folder, which the loader would search for assemblies and native libraries without any trust check; "
            + "remove additionalProbingPaths from it and put the plugin's dependencies in its folder",
            error.Message);
        Assert.Null(catalog.Find("Memory", PluginKind.Backend));
        Assert.True(catalog.Find("Forward", PluginKind.Stage)!.IsUsable);
    }
}
