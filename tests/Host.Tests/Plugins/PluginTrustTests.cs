using System.Text.RegularExpressions;
using RouterHost.Plugins;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Plugins;

/// <summary>
/// The real routerhost (<c>plugins</c>, <c>validate</c>, <c>run</c>, as root) against plugin folders a real
/// unprivileged user (nobody) could write, a trusted plugin the configuration does not name, and SHA-256 pins. The
/// Evil plugin leaves a marker for each piece of its code that runs: none may exist where it must not have run.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class PluginTrustTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private const string MemoryOnly = """ "mem0": { "Backend": "Memory" } """;

    private static string Config(TempDirectory dir, string plugins, string interfaces = MemoryOnly, string pins = "") => dir.WriteFile("router.json", $$"""
        {
          "Plugins": { "Path": "{{plugins}}"{{pins}} },
          "Control": { "Socket": "off" },
          "Interfaces": { {{interfaces}} }
        }
        """);

    /// <summary>Runs a command to its end; <c>run</c> is stopped with SIGTERM once ready (if it gets that far).</summary>
    private static (int Exit, string Output) Routerhost(string command, string config)
    {
        if (command != "run")
        {
            return RouterHostProcess.Run(command, "--config", config);
        }

        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);
        if (router.WaitForOutput("RouterHost ready", StartTimeout))
        {
            router.Terminate();
        }

        Assert.True(router.WaitForExit(StartTimeout), router.Output);
        return (router.ExitCode, router.Output);
    }

    [Theory]
    [InlineData("plugins")]
    [InlineData("validate")]
    [InlineData("run")]
    public void A_plugin_an_unprivileged_user_drops_into_a_world_writable_plugins_folder_is_refused_with_the_reason_and_none_of_its_code_runs(string command)
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", (UnixFileMode)0x1FF);
        dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");
        UnprivilegedUser.Run("/bin/cp", "-R", EvilPlugin.BuiltFolder, Path.Combine(plugins, "Evil"));
        string config = Config(dir, plugins);

        (int exit, string output) = Routerhost(command, config);

        Assert.Contains($"plugins folder '{plugins}' is writable by group and others (mode 0777, owner root): run `chmod go-w '{plugins}'`", output, StringComparison.Ordinal);
        Assert.Equal(command == "plugins" ? 0 : 1, exit);
        if (command != "plugins")
        {
            // What the configuration uses is refused, saying why: nothing under that folder was looked at.
            Assert.Contains("Interfaces:mem0:Backend: no backend plugin named 'Memory'", output, StringComparison.Ordinal);
        }
        else
        {
            // Every folder is listed, by name only.
            string evil = Path.Combine(plugins, "Evil");
            Assert.Contains($"refused: {evil}: plugin folder '{evil}' is in the refused plugins folder '{plugins}'", output, StringComparison.Ordinal);
        }

        Assert.DoesNotMatch(@"(?m)^Evil\s", output);
        Assert.Empty(EvilPlugin.MarkersLeft(dir.Path));
    }

    [Theory]
    [InlineData("plugins")]
    [InlineData("validate")]
    [InlineData("run")]
    public void A_plugin_folder_another_user_owns_is_refused_with_the_reason_and_none_of_its_code_runs(string command)
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", TempDirectory.FolderMode);
        dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");
        string evil = dir.CreateFolder("plugins/Evil", TempDirectory.FolderMode);
        ChildProcess.Run("/bin/chown", [$"{UnprivilegedUser.Id}:{UnprivilegedUser.Id}", evil]).EnsureSuccess();
        UnprivilegedUser.Run("/bin/cp", "-R", EvilPlugin.BuiltFolder + "/.", evil);
        string reason = $"plugin folder '{evil}' is owned by another user (mode 0755, owner nobody): run `chown root: '{evil}'`";

        (int exit, string output) = Routerhost(command, Config(dir, plugins));

        // The configuration does not use it: the router runs, and says what it refused.
        Assert.Equal(0, exit);
        Assert.Contains(reason, output, StringComparison.Ordinal);
        Assert.Contains(command == "run" ? "RouterHost ready" : command == "validate" ? "Configuration is valid" : "Memory", output, StringComparison.Ordinal);
        Assert.Empty(EvilPlugin.MarkersLeft(dir.Path));

        // A configuration that names it is refused with that reason.
        (exit, output) = Routerhost(command == "plugins" ? "validate" : command, Config(dir, plugins, MemoryOnly + """, "evil0": { "Backend": "Evil" } """));
        Assert.Equal(1, exit);
        Assert.Contains($"Interfaces:evil0:Backend: no backend plugin named 'Evil' (known: {KnownBackends("Memory")}; searched {plugins}, {RepositoryPaths.HostPlugins}); {reason}", output, StringComparison.Ordinal);
        Assert.Empty(EvilPlugin.MarkersLeft(dir.Path));
    }

    [Fact]
    public void A_trusted_plugin_the_configuration_does_not_name_is_never_constructed_by_run_or_validate_but_plugins_lists_it()
    {
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", TempDirectory.FolderMode);
        dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");
        RepositoryPaths.CopyBuiltFolder(EvilPlugin.BuiltFolder, Path.Combine(plugins, "Evil"));
        string config = Config(dir, plugins);

        (int exit, string output) = Routerhost("validate", config);
        Assert.True(exit == 0, output);
        Assert.Empty(EvilPlugin.MarkersLeft(dir.Path));

        (exit, output) = Routerhost("run", config);
        Assert.True(exit == 0, output);
        Assert.Contains("RouterHost ready", output, StringComparison.Ordinal);
        Assert.Empty(EvilPlugin.MarkersLeft(dir.Path));

        // Listing constructs every trusted plugin: the markers show that the plugin's code does leave them.
        (exit, output) = Routerhost("plugins", config);
        Assert.Equal(0, exit);
        Assert.Matches(@"(?m)^Evil\s+backend\s+.*\sok$", output);
        Assert.Equal(EvilPlugin.AllMarkers.Order(StringComparer.Ordinal), EvilPlugin.MarkersLeft(dir.Path));
    }

    [Fact]
    public void Plugins_prints_each_folders_SHA256_over_all_its_files_as_the_documented_sha256sum_pipeline_computes_it()
    {
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", TempDirectory.FolderMode);
        string memory = dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");
        dir.CopyPlugin("TestStages", "plugins/TestStages");

        (int exit, string output) = Routerhost("plugins", Config(dir, plugins));

        Assert.Equal(0, exit);
        Assert.Equal(ShellHash(memory), PrintedHash(output, memory));
        Assert.Equal(ShellHash(Path.Combine(plugins, "TestStages")), PrintedHash(output, Path.Combine(plugins, "TestStages")));
        Assert.NotEqual(PrintedHash(output, memory), PrintedHash(output, Path.Combine(plugins, "TestStages")));
    }

    [Fact]
    public void A_SHA256_pin_mismatch_refuses_the_plugin_naming_both_hashes_and_the_folder_and_covers_every_file_in_it()
    {
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", TempDirectory.FolderMode);
        string memory = dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");
        string actual = ShellHash(memory);
        string wrong = new('0', 64);

        (int exit, string output) = Routerhost("validate", Config(dir, plugins, pins: $$""", "Sha256": { "MemoryBackend": "{{wrong}}" }"""));
        string refusal = $"plugin folder '{memory}' does not match its pin: its files hash to {actual}, but Plugins:Sha256:MemoryBackend is {wrong}";
        Assert.Equal(1, exit);
        Assert.Contains($"Interfaces:mem0:Backend: no backend plugin named 'Memory' (known: {KnownBackends()}; searched {plugins}, {RepositoryPaths.HostPlugins}); {refusal}", output, StringComparison.Ordinal);

        (exit, output) = Routerhost("plugins", Config(dir, plugins, pins: $$""", "Sha256": { "MemoryBackend": "{{wrong}}" }"""));
        Assert.Contains($"refused: {memory}: {refusal}", output, StringComparison.Ordinal);

        (exit, output) = Routerhost("validate", Config(dir, plugins, pins: $$""", "Sha256": { "MemoryBackend": "{{actual.ToUpperInvariant()}}" }"""));
        Assert.True(exit == 0, output);

        // Any file counts, not only the entry assembly: a dependency or a native library could be swapped too.
        File.AppendAllText(Path.Combine(memory, "RouterHost.TestPlugins.MemoryBackend.deps.json"), " ");
        string changed = ShellHash(memory);
        (exit, output) = Routerhost("validate", Config(dir, plugins, pins: $$""", "Sha256": { "MemoryBackend": "{{actual}}" }"""));
        Assert.Equal(1, exit);
        Assert.Contains($"its files hash to {changed}, but Plugins:Sha256:MemoryBackend is {actual}", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pin_that_is_not_a_SHA256_or_names_no_folder_is_a_problem_at_its_key_path()
    {
        using var dir = new TempDirectory();
        string plugins = dir.CreateFolder("plugins", TempDirectory.FolderMode);
        dir.CopyPlugin("MemoryBackend", "plugins/MemoryBackend");

        (int exit, string output) = Routerhost("validate", Config(dir, plugins, pins: """, "Sha256": { "MemoryBackend": "abc", "Gone": "0000000000000000000000000000000000000000000000000000000000000000" }"""));

        Assert.Equal(1, exit);
        Assert.Contains("error: Plugins:Sha256:MemoryBackend: must be the SHA-256 of the plugin folder 'MemoryBackend' in hex (64 digits", output, StringComparison.Ordinal);
        Assert.Contains($"error: Plugins:Sha256:Gone: no plugin folder 'Gone' in {plugins}, {RepositoryPaths.HostPlugins} (folders: {string.Join(", ", ["MemoryBackend", .. HostPluginFolders()])}); remove the pin or install the plugin", output, StringComparison.Ordinal);
        Assert.Contains("is pinned by Plugins:Sha256:MemoryBackend, which is not a SHA-256", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Folders_are_searched_in_order_a_missing_configured_one_is_a_warning_and_a_shadowed_plugin_is_listed_with_its_winner_and_never_loaded()
    {
        using var dir = new TempDirectory();
        string first = dir.CreateFolder("first", TempDirectory.FolderMode);
        string second = dir.CreateFolder("second", TempDirectory.FolderMode);
        string winner = dir.CopyPlugin("MemoryBackend", "first/MemoryBackend");
        string shadowed = dir.CopyPlugin("MemoryBackend", "second/MemoryBackend");
        RepositoryPaths.CopyBuiltFolder(EvilPlugin.BuiltFolder, Path.Combine(second, "Evil"));
        string missing = dir.Combine("missing");
        string config = dir.WriteFile("router.json", $$"""
            {
              "Plugins": { "Paths": [ "{{first}}", "{{missing}}", "{{second}}" ] },
              "Control": { "Socket": "off" },
              "Interfaces": { {{MemoryOnly}} }
            }
            """);
        string missingWarning = $"Plugins:Paths:1: the plugins folder '{missing}' does not exist, so no plugin is loaded from it";

        (int exit, string output) = Routerhost("validate", config);
        Assert.True(exit == 0, output);
        Assert.Contains($"warning: {missingWarning}", output, StringComparison.Ordinal);
        Assert.Contains($"note: plugin Memory in {shadowed} is shadowed by the one in {winner}, searched first: not loaded", output, StringComparison.Ordinal);

        (exit, output) = Routerhost("run", config);
        Assert.True(exit == 0, output);
        Assert.Contains("RouterHost ready", output, StringComparison.Ordinal);
        Assert.Contains(missingWarning, output, StringComparison.Ordinal);
        Assert.Contains($"Plugin Memory in {shadowed} is shadowed by the one in {winner}, searched first: not loaded", output, StringComparison.Ordinal);
        Assert.Empty(EvilPlugin.MarkersLeft(dir.Path));

        (exit, output) = Routerhost("plugins", config);
        Assert.Equal(0, exit);
        string[] lines = output.Split('\n', StringSplitOptions.TrimEntries);
        int Line(string text) => Array.FindIndex(lines, l => l.StartsWith(text, StringComparison.Ordinal));
        Assert.True(Line($"{first}  [Plugins:Paths:0]") >= 0, output);
        Assert.True(Line($"{missing}  [Plugins:Paths:1]  (does not exist)") > Line($"{first}  [Plugins:Paths:0]"), output);
        Assert.True(Line($"{second}  [Plugins:Paths:2]") > Line($"{missing}  [Plugins:Paths:1]"), output);
        Assert.True(Line($"{PluginDiscovery.DropInFolder}  [drop-in]") > Line($"{second}  [Plugins:Paths:2]"), output);
        Assert.True(Line($"{RepositoryPaths.HostPlugins}  [package]") > Line($"{PluginDiscovery.DropInFolder}  [drop-in]"), output);
        Assert.Matches($@"(?m)^Memory\s+backend\s+.*\sok\r?\n\s+{Regex.Escape(winner)}  sha256 [0-9a-f]{{64}}\r?$", output);
        Assert.Matches($@"(?m)^Memory\s+backend\s+.*\sshadowed by {Regex.Escape(winner)}: not loaded\r?\n\s+{Regex.Escape(shadowed)}  sha256 [0-9a-f]{{64}}\r?$", output);

        // Listing constructs every plugin that is not shadowed, the second folder's Evil too.
        Assert.Matches(@"(?m)^Evil\s+backend\s+.*\sok\r?$", output);
        Assert.Equal(EvilPlugin.AllMarkers.Order(StringComparer.Ordinal), EvilPlugin.MarkersLeft(dir.Path));
    }

    /// <summary>The backends a validate message lists as known: these and the host's own plugins (the package folder's), in order.</summary>
    private static string KnownBackends(params string[] more) => string.Join(", ", HostPluginFolders().Concat(more).Order(StringComparer.OrdinalIgnoreCase));

    /// <summary>The plugin folders the host's build deployed beside it (its package folder, searched after the configured ones).</summary>
    private static IEnumerable<string> HostPluginFolders() =>
        Directory.GetDirectories(RepositoryPaths.HostPlugins).Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static string PrintedHash(string output, string folder)
    {
        Match match = Regex.Match(output, $@"(?m)^\s+{Regex.Escape(folder)}  sha256 ([0-9a-f]{{64}})$");
        Assert.True(match.Success, output);
        return match.Groups[1].Value;
    }

    /// <summary>The hash as docs/configuration.md tells an operator to compute it.</summary>
    private static string ShellHash(string folder)
    {
        ExecResult result = ChildProcess.Run("/bin/sh", ["-c", $"cd '{folder}' && find -L . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -r -d '\\n' sha256sum | sha256sum"]).EnsureSuccess();
        return result.StdOut.Split(' ')[0];
    }
}
