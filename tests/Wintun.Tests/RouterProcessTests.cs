namespace RouterHost.Plugins.Wintun.Tests;

/// <summary>The real routerhost, off Windows, with configuration that selects the Wintun backend.</summary>
public sealed class RouterProcessTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "routerhost-wintun-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _config;

    public RouterProcessTests()
    {
        string plugins = Path.Combine(_root, "plugins");
        RepositoryPaths.CopyBuiltFolder(Path.Combine(RepositoryPaths.HostPlugins, "Wintun"), Path.Combine(plugins, "Wintun"));
        _config = Path.Combine(_root, "router.json");
        File.WriteAllText(_config, $$"""
            {
              "Plugins": { "Path": "{{plugins}}" },
              "Control": { "Socket": "off" },
              "Interfaces": {
                "wt0": { "Backend": "Wintun", "Settings": { "AdapterName": "RouterHost", "Addresses": [ "10.8.0.1/24" ] } }
              }
            }
            """);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Run_refuses_to_start_and_exits_1_saying_the_Wintun_backend_needs_Windows()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "this test proves the refusal off Windows");

        var (exit, output) = RouterHostProcess.Run("run", "--config", _config);

        Assert.Equal(1, exit);
        Assert.Contains("Interfaces:wt0:Backend", output, StringComparison.Ordinal);
        Assert.Contains("the 'Wintun' backend cannot run on this platform", output, StringComparison.Ordinal);
        Assert.Contains("the Wintun backend needs Windows (the Wintun driver and wintun.dll)", output, StringComparison.Ordinal);
        Assert.Contains("Not starting: 1 configuration problem(s)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("RouterHost ready", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_reports_the_platform_requirement_at_the_backend_key_and_exits_1()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "this test proves the refusal on Linux");

        var (exit, output) = RouterHostProcess.Run("validate", "--config", _config);

        Assert.Equal(1, exit);
        Assert.Contains("error: Interfaces:wt0:Backend: the 'Wintun' backend cannot run on this platform", output, StringComparison.Ordinal);
        Assert.Contains("needs Windows", output, StringComparison.Ordinal);
        Assert.Contains("on Linux use the LinuxTun backend", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_off_Windows_still_checks_the_Wintun_settings_so_the_file_is_ready_for_the_machine_it_is_for()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "this test proves the checks off Windows");
        string config = Path.Combine(_root, "bad.json");
        File.WriteAllText(config, File.ReadAllText(_config).Replace("\"AdapterName\": \"RouterHost\",", "\"AdapterName\": \"RouterHost\", \"RingCapacity\": 1000,", StringComparison.Ordinal));

        var (exit, output) = RouterHostProcess.Run("validate", "--config", config);

        Assert.Equal(1, exit);
        Assert.Contains("error: Interfaces:wt0:Backend: the 'Wintun' backend cannot run on this platform", output, StringComparison.Ordinal);
        Assert.Contains("Interfaces:wt0:Settings:RingCapacity", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plugins_command_lists_Wintun_as_loaded_but_unsupported_here()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "this test proves the refusal off Windows");

        var (exit, output) = RouterHostProcess.Run("plugins", "--config", _config);

        Assert.Equal(0, exit);
        // The test's plugins folder is searched first; the host's own plugins folder (searched last) also holds Wintun,
        // listed as shadowed by it.
        string line = Assert.Single(output.Split('\n'), l => l.Contains("Wintun", StringComparison.Ordinal) && l.Contains("backend", StringComparison.Ordinal) && !l.Contains("shadowed by", StringComparison.Ordinal));
        Assert.Contains("unsupported here: the Wintun backend needs Windows", line, StringComparison.Ordinal);
    }
}
