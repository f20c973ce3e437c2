using System.Text.Json;
using RouterHost.Cli;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Configuration;

/// <summary>
/// Configuration files others could write are refused at start, and an attacker's edit of the watched file while
/// the router runs is refused on reload with nothing of it applied (the attacker is the real user nobody).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class ConfigurationFileTrustTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(15);

    private static string Router(string socket, string rules) => $$"""
        {
          "Plugins": { "Path": "{{RepositoryPaths.TestPlugins}}" },
          "Control": { "Socket": "{{socket}}" },
          "Pipeline": { "Stages": [ { "Type": "Firewall", "Settings": { "Rules": [ {{rules}} ] } } ] },
          "Interfaces": { "mem0": { "Backend": "Memory" } }
        }
        """;

    private const string DropTelnet = """{ "Action": "drop", "Direction": "inbound", "Protocol": "tcp", "Ports": [ "23" ] }""";

    private const string AcceptAll = """{ "Action": "accept" }, { "Action": "drop", "Direction": "inbound", "Protocol": "tcp", "Ports": [ "23" ] }""";

    [Theory]
    [InlineData("0664", "is writable by group (mode 0664, owner root): run `chmod go-w '{0}'`")]
    [InlineData("0666", "is writable by group and others (mode 0666, owner root): run `chmod go-w '{0}'`")]
    [InlineData("nobody", "is owned by another user (mode 0644, owner nobody): run `chown root: '{0}'`")]
    public void A_configuration_file_others_can_write_is_refused_at_start_naming_the_file_mode_owner_and_fix(string how, string why)
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        using var dir = new TempDirectory();
        string file;
        if (how == "nobody")
        {
            string drop = dir.CreateFolder("drop", (UnixFileMode)0x3FF);
            file = Path.Combine(drop, "router.json");
            UnprivilegedUser.Shell($"umask 022 && printf '{{}}' > '{file}'");
        }
        else
        {
            file = dir.WriteFile("router.json", "{}");
            File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32(how, 8));
        }

        string expected = $"error: configuration file '{file}' {string.Format(System.Globalization.CultureInfo.InvariantCulture, why, file)}";

        var error = new StringWriter();
        int exit = ValidateCommand.Run(Program.CreateRootCommand().Parse(["validate", "--config", file]), TextWriter.Null, error);
        Assert.Equal(1, exit);
        Assert.Equal(expected, error.ToString().Trim());

        (exit, string output) = RouterHostProcess.Run("run", "--config", file);
        Assert.Equal(1, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("RouterHost ready", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("world-writable", "is writable by group and others (mode 0666, owner root): run `chmod go-w '{0}'`")]
    [InlineData("another user's", "is owned by another user (mode 0644, owner nobody): run `chown root: '{0}'`")]
    public void An_attackers_edit_of_the_watched_file_is_refused_on_reload_and_show_still_reports_the_last_good_rules(string how, string why)
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        using var dir = new TempDirectory();
        string socket = dir.Combine("control.sock");
        string config = dir.WriteFile("router.json", Router(socket, DropTelnet));
        string edit = dir.WriteFile("edit.json", Router(socket, AcceptAll));
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", config]);
        Assert.True(router.WaitForOutput("RouterHost ready", StartTimeout), router.Output);
        Assert.Equal((0, 1), FirewallRules(socket));

        // The file becomes writable by nobody (a careless chmod, or a chown to a user), who rewrites it in place.
        if (how == "world-writable")
        {
            File.SetUnixFileMode(config, (UnixFileMode)0x1B6);
        }
        else
        {
            ChildProcess.Run("/bin/chown", [$"{UnprivilegedUser.Id}:{UnprivilegedUser.Id}", config]).EnsureSuccess();
        }

        UnprivilegedUser.Run("/bin/cp", edit, config);
        string reason = $"Configuration reload: {config}: configuration file '{config}' {string.Format(System.Globalization.CultureInfo.InvariantCulture, why, config)}";
        Assert.True(router.WaitForOutput(reason, ReloadTimeout), router.Output);
        Assert.True(router.WaitForOutput("refused (1 problem(s)); keeping the last good configuration", ReloadTimeout), router.Output);
        Assert.Equal((0, 1), FirewallRules(socket));
        Assert.DoesNotContain("stage(s) reconfigured", router.Output, StringComparison.Ordinal);

        // Once the file is root's and closed again, the same edit made by root is read: show would have seen it.
        ChildProcess.Run("/bin/chown", ["0:0", config]).EnsureSuccess();
        File.SetUnixFileMode(config, TempDirectory.FileMode);
        File.Copy(edit, config, overwrite: true);
        Assert.True(router.WaitForOutput("applied: 1 stage(s) reconfigured", ReloadTimeout), router.Output);
        Assert.Equal((1, 2), FirewallRules(socket));

        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(10)), router.Output);
    }

    /// <summary>The firewall's rule counts (outbound, inbound) as <c>routerhost show --json</c> reports them.</summary>
    private static (int Outbound, int Inbound) FirewallRules(string socket)
    {
        (int exit, string output) = RouterHostProcess.Run("show", "--socket", socket, "--json");
        Assert.True(exit == 0, output);
        using JsonDocument document = JsonDocument.Parse(output);
        JsonElement status = document.RootElement.GetProperty("stages").EnumerateArray()
            .Single(s => s.GetProperty("name").GetString() == "Firewall").GetProperty("status");
        return (status.GetProperty("outbound_rules").GetInt32(), status.GetProperty("inbound_rules").GetInt32());
    }
}
