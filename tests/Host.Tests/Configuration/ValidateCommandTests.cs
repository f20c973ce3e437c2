using RouterHost.Cli;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Configuration;

public sealed class ValidateCommandTests
{
    private static (int Exit, string Output, string Error) Validate(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var parse = Program.CreateRootCommand().Parse(["validate", .. args]);
        int exit = ValidateCommand.Run(parse, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string PluginsOverride => $"Plugins:Path={RepositoryPaths.TestPlugins}";

    [Fact]
    public void The_embedded_default_configuration_is_valid()
    {
        var (exit, output, error) = Validate();
        Assert.Equal(0, exit);
        Assert.Contains("Configuration is valid", output, StringComparison.Ordinal);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public void The_repository_appsettings_json_is_valid()
    {
        var (exit, _, error) = Validate("--config", Path.Combine(RepositoryPaths.Root, "appsettings.json"));
        Assert.True(exit == 0, error);
    }

    [Fact]
    public void A_broken_configuration_lists_each_problem_with_its_key_path_and_exits_1()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("broken.json", """
            {
              "Pipline": {},
              "Pipeline": {
                "BatchSize": 0,
                "Stages": [
                  { "Type": "Forward" },
                  { "Name": "Forward", "Type": "PassThrough" },
                  { "Name": "nothing" },
                  { "Type": "NoSuchStage" },
                  { "Type": "Bounce", "Colour": "red" } ] },
              "Interfaces": {
                "mem0": { "Backend": "Memory", "Settings": { "Queues": 0, "Mode": "Fast" } },
                "thr0": { "Backend": "Thrower" },
                "fut0": { "Backend": "Future" },
                "nob0": { "Groups": [ "x" ] } },
              "Shutdown": { "TimeoutSeconds": "soon" }
            }
            """);

        var (exit, _, error) = Validate("--config", file, PluginsOverride);

        Assert.Equal(1, exit);
        string[] expected =
        [
            "error: Pipline: unknown key in the top level",
            "error: Pipeline:BatchSize: must be a whole number between 1 and 1024 (got '0')",
            "error: Pipeline:Stages:0:Settings:To: is missing",
            "error: Pipeline:Stages:1:Name: stage name 'Forward' is already used by Pipeline:Stages:0",
            "error: Pipeline:Stages:2:Type: is missing",
            "error: Pipeline:Stages:3:Type: no stage plugin named 'NoSuchStage' (known: Bounce, Cross, DependencyProbe, Fault, Firewall, Forward, PassThrough, Routing, Stall, Tunnel, WireGuard;",
            "error: Pipeline:Stages:4:Colour: unknown key in Pipeline:Stages:4",
            "error: Interfaces:mem0:Settings:Queues: must be a whole number between 1 and 64 (got '0')",
            "error: Interfaces:mem0:Settings:Mode: must be Channel or Generate (got 'Fast')",
            "error: Interfaces:thr0:Backend: the backend plugin 'Thrower' from ",
            "error: Interfaces:fut0:Backend: no backend plugin named 'Future'",
            "error: Interfaces:nob0:Backend: is missing",
            "error: Shutdown:TimeoutSeconds: must be a number between 0.1 and 300 (got 'soon')",
        ];
        foreach (string line in expected)
        {
            Assert.Contains(line, error, StringComparison.Ordinal);
        }

        Assert.Contains("cannot find its native driver", error, StringComparison.Ordinal);
        Assert.Contains("plugin folder(s) failed to load", error, StringComparison.Ordinal);
        Assert.Contains($"{expected.Length} problem(s) found", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_file_that_is_not_json_is_reported_with_its_location()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("bad.json", "{ \"Pipeline\": { \"BatchSize\": 4, }\n  oops }");

        var (exit, _, error) = Validate("--config", file);

        Assert.Equal(1, exit);
        Assert.Contains("error: ", error, StringComparison.Ordinal);
        Assert.Contains("bad.json", error, StringComparison.Ordinal);
        Assert.Contains("line", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_configuration_folder_layers_its_json_files_in_name_order()
    {
        using var dir = new TempDirectory();
        string main = dir.WriteFile("routerhost.json", """{ "Pipeline": { "BatchSize": 16 } }""");
        dir.WriteFile("conf.d/10-first.json", """{ "Pipeline": { "BatchSize": 0 } }""");
        dir.WriteFile("conf.d/20-second.json", """{ "Pipeline": { "BatchSize": 5000 } }""");
        dir.WriteFile("conf.d/notes.txt", "not JSON, not read");

        var (exit, _, error) = Validate("--config", main, "--config", dir.Combine("conf.d"));

        // 20-second.json is the last layer: its value is the one validated (and 10-first.json's is not).
        Assert.Equal(1, exit);
        Assert.Contains("error: Pipeline:BatchSize: must be a whole number between 1 and 1024 (got '5000')", error, StringComparison.Ordinal);
        Assert.DoesNotContain("(got '0')", error, StringComparison.Ordinal);

        File.Delete(dir.Combine("conf.d/20-second.json"));
        File.Delete(dir.Combine("conf.d/10-first.json"));
        (exit, _, error) = Validate("--config", main, "--config", dir.Combine("conf.d"));
        Assert.True(exit == 0, error);
    }

    [Fact]
    public void A_missing_configuration_file_is_reported()
    {
        var (exit, _, error) = Validate("--config", "/nonexistent/routerhost.json");
        Assert.Equal(1, exit);
        Assert.Contains("error: Configuration file '/nonexistent/routerhost.json' does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_line_overrides_win_over_files_and_are_validated_too()
    {
        var (exit, _, error) = Validate("Pipeline:BatchSize=5000");
        Assert.Equal(1, exit);
        Assert.Contains("error: Pipeline:BatchSize: must be a whole number between 1 and 1024 (got '5000')", error, StringComparison.Ordinal);

        (exit, _, error) = Validate("--Pipeline:BatchSize=128");
        Assert.True(exit == 0, error);
    }

    [Fact]
    public void Interfaces_listed_as_an_array_are_reported_as_such()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("array.json", """{ "Interfaces": [ { "Backend": "Memory" } ] }""");

        var (exit, _, error) = Validate("--config", file, PluginsOverride);

        Assert.Equal(1, exit);
        Assert.Contains("error: Interfaces:0: interfaces are keyed by name", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_configuration_using_test_plugins_passes()
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("ok.json", """
            {
              "Pipeline": { "Stages": [ { "Type": "Forward", "Settings": { "To": "mem1" } } ] },
              "Interfaces": { "mem0": { "Backend": "Memory" }, "mem1": { "Backend": "Memory", "Settings": { "Queues": 2 } } }
            }
            """);

        var (exit, output, error) = Validate("--config", file, PluginsOverride);

        Assert.True(exit == 0, error);
        Assert.Contains("2 interface(s), 1 stage(s)", output, StringComparison.Ordinal);
    }
    [Theory]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    [InlineData(1500, true)]
    [InlineData(1420, false)]
    public void An_interface_MTU_larger_than_a_tunnel_s_inner_MTU_is_a_warning_naming_both_and_path_MTU_discovery(int tunMtu, bool warned)
    {
        using var dir = new TempDirectory();
        string key = dir.WriteFile("wg.key", Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string peer = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string file = dir.WriteFile("tunnel.json", $$"""
            {
              "Pipeline": { "Stages": [
                { "Type": "Routing" },
                { "Type": "WireGuard", "Name": "wg", "Settings": { "PrivateKeyFile": "{{key}}",
                  "Peers": { "b": { "PublicKey": "{{peer}}", "AllowedIPs": [ "10.9.0.0/16" ] } } } } ] },
              "Interfaces": { "tun0": { "Backend": "LinuxTun", "Settings": { "Mtu": {{tunMtu}}, "Addresses": [ "10.0.0.1/24" ] } } }
            }
            """);

        var (exit, output, error) = Validate("--config", file, $"Plugins:Path={RepositoryPaths.HostPlugins}");

        Assert.True(exit == 0, error);
        Assert.Contains("Configuration is valid", output, StringComparison.Ordinal);
        string expected = "warning: Interfaces:tun0:Settings:Mtu: interface 'tun0' has MTU 1500, larger than the inner MTU 1420 of tunnel stage 'wg' (Pipeline:Stages:1:Settings:Mtu)";
        Assert.Equal(warned, error.Contains(expected, StringComparison.Ordinal));
        Assert.Equal(warned, error.Contains("path MTU discovery will be used", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0.0.0.0:9586", "127.0.0.1:9586")]
    [InlineData("[::]:9587", "[::1]:9587")]
    [InlineData("9586", null)]
    [InlineData("[::1]:9586", null)]
    public void A_metrics_endpoint_other_machines_can_reach_is_a_warning_with_the_loopback_address_to_use(string address, string? loopback)
    {
        using var dir = new TempDirectory();
        string file = dir.WriteFile("metrics.json", $$"""
            { "Metrics": { "Prometheus": "{{address}}" },
              "Pipeline": { "Stages": [ { "Type": "PassThrough" } ] },
              "Interfaces": { "mem0": { "Backend": "Memory" } } }
            """);

        var (exit, output, error) = Validate("--config", file, PluginsOverride);

        Assert.True(exit == 0, error);
        Assert.Contains("Configuration is valid", output, StringComparison.Ordinal);
        if (loopback is null)
        {
            Assert.DoesNotContain("Metrics:Prometheus", error, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"warning: Metrics:Prometheus: the metrics endpoint listens on {address}, which other machines can reach, and has no authentication", error, StringComparison.Ordinal);
            Assert.Contains($"Set it to \"{loopback}\"", error, StringComparison.Ordinal);
        }
    }
}
