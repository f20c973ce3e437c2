using System.Globalization;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Hosting;

/// <summary>The control socket's folder keeps others away from it: made 0700 whatever the umask, refused when others could write it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class ControlSocketTrustTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static string Config(TempDirectory dir, string socket) => dir.WriteFile("router.json", $$"""
        {
          "Plugins": { "Path": "{{RepositoryPaths.TestPlugins}}" },
          "Control": { "Socket": "{{socket}}" },
          "Interfaces": { "mem0": { "Backend": "Memory" } }
        }
        """);

    [Fact]
    public void Under_umask_000_the_control_sockets_new_folders_are_0700_and_the_socket_0600()
    {
        using var dir = new TempDirectory();
        string socket = dir.Combine("run", "routerhost", "control.sock");
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", Config(dir, socket)], umask: "000");
        Assert.True(router.WaitForOutput("RouterHost ready", StartTimeout), router.Output);

        // The umask the router itself runs under, as the kernel reports it.
        Assert.Contains("Umask:\t0000", File.ReadAllText($"/proc/{router.Id.ToString(CultureInfo.InvariantCulture)}/status"), StringComparison.Ordinal);
        Assert.Contains($"Control socket: {socket}", router.Output, StringComparison.Ordinal);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.Combine("run", "routerhost")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(dir.Combine("run")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));

        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(10)), router.Output);
    }

    [Theory]
    [InlineData("0777", "is writable by group and others (mode 0777, owner root): run `chmod go-w '{0}'`")]
    [InlineData("nobody", "is owned by another user (mode 0755, owner nobody): run `chown root: '{0}'`")]
    public void An_existing_control_socket_folder_others_can_write_or_another_user_owns_is_refused_and_no_socket_is_made(string how, string why)
    {
        using var dir = new TempDirectory();
        string folder = dir.CreateFolder("sockets", how == "0777" ? (UnixFileMode)0x1FF : TempDirectory.FolderMode);
        if (how == "nobody")
        {
            ChildProcess.Run("/bin/chown", [$"{UnprivilegedUser.Id}:{UnprivilegedUser.Id}", folder]).EnsureSuccess();
        }

        string socket = Path.Combine(folder, "control.sock");
        using RouterHostProcess router = RouterHostProcess.Start(["run", "--config", Config(dir, socket)]);
        Assert.True(router.WaitForOutput("RouterHost ready", StartTimeout), router.Output);

        string reason = $"control socket folder '{folder}' {string.Format(CultureInfo.InvariantCulture, why, folder)}";
        Assert.Contains($"No control socket at {socket}: {reason}", router.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(socket));
        Assert.Equal(how == "0777" ? (UnixFileMode)0x1FF : TempDirectory.FolderMode, File.GetUnixFileMode(folder));

        router.Terminate();
        Assert.True(router.WaitForExit(TimeSpan.FromSeconds(10)), router.Output);
    }
}
