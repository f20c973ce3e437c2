using System.Runtime.InteropServices;
using static RouterHost.Linux.Interop.Libc;

namespace RouterHost.Linux.Tests;

/// <summary>
/// The one rule for files RouterHost trusts, on real files and folders under /tmp (1777 root, which the rule must
/// accept as a place for root's folders). Other owners are the real unprivileged user nobody.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed unsafe class FileTrustTests : IDisposable
{
    private const UnixFileMode Mode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const UnixFileMode Mode0777 = (UnixFileMode)0x1FF;
    private const UnixFileMode Mode1777 = (UnixFileMode)0x3FF;

    private readonly string _root = Directory.CreateTempSubdirectory("rh-trust-").FullName;

    public FileTrustTests()
    {
        // Traversable, so nobody can reach the folders a test opens to it; writable by root alone.
        File.SetUnixFileMode(_root, Mode0755);
    }

    [Fact]
    public void A_root_file_in_root_folders_under_the_sticky_tmp_is_trusted()
    {
        Assert.Equal(Mode1777, File.GetUnixFileMode("/tmp") & Mode1777);
        string file = WriteFile("etc/router.json", Mode0644);

        Assert.True(FileTrust.Check(file, TrustedPathKind.ConfigurationFile, out string? problem, out string resolved), problem);
        Assert.Equal(file, resolved);
        Assert.True(FileTrust.Check(Path.GetDirectoryName(file)!, TrustedPathKind.PluginFolder, out problem), problem);
    }

    [Theory]
    [InlineData(0x1B4, "0664", "group")]
    [InlineData(0x1A6, "0646", "others")]
    [InlineData(0x1B6, "0666", "group and others")]
    public void A_file_group_or_others_can_write_is_refused_with_its_mode_owner_and_the_chmod(int mode, string octal, string who)
    {
        string file = WriteFile("router.json", (UnixFileMode)mode);

        Assert.False(FileTrust.Check(file, TrustedPathKind.ConfigurationFile, out string? problem));
        Assert.Equal($"configuration file '{file}' is writable by {who} (mode {octal}, owner root): run `chmod go-w '{file}'`", problem);
    }

    [Fact]
    public void A_file_another_user_owns_is_refused_with_the_chown_that_fixes_it()
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        string open = MakeFolder("drop", Mode1777);
        UnprivilegedUser.Shell($"umask 022 && echo '{{}}' > '{open}/router.json'");
        string file = Path.Combine(open, "router.json");

        Assert.False(FileTrust.Check(file, TrustedPathKind.ConfigurationFile, out string? problem));
        Assert.Equal($"configuration file '{file}' is owned by another user (mode 0644, owner nobody): run `chown root: '{file}'`", problem);

        UnprivilegedUser.Run("/bin/chmod", "666", file);
        Assert.False(FileTrust.Check(file, TrustedPathKind.ConfigurationFile, out problem));
        Assert.Equal($"configuration file '{file}' is owned by another user and writable by group and others (mode 0666, owner nobody): run `chown root: '{file}' && chmod go-w '{file}'`", problem);
    }

    [Fact]
    public void A_folder_on_the_way_that_others_can_write_refuses_a_good_file_in_it()
    {
        string file = WriteFile("open/inner/router.json", Mode0644);
        string open = Path.Combine(_root, "open");
        File.SetUnixFileMode(open, Mode0777);

        Assert.False(FileTrust.Check(file, TrustedPathKind.ConfigurationFile, out string? problem));
        Assert.Equal(
            $"configuration file '{file}': its folder '{open}' is writable by group and others (mode 0777, owner root), so they can replace '{open}/inner': run `chmod go-w '{open}'`",
            problem);
    }

    [Fact]
    public void A_folder_on_the_way_owned_by_another_user_refuses_a_good_file_in_it()
    {
        string file = WriteFile("theirs/router.json", Mode0644);
        string theirs = Path.Combine(_root, "theirs");
        Chown(theirs, UnprivilegedUser.Id);

        Assert.False(FileTrust.Check(file, TrustedPathKind.ConfigurationFile, out string? problem));
        Assert.Equal(
            $"configuration file '{file}': its folder '{theirs}' is owned by another user (mode 0755, owner nobody), who can replace what it holds: run `chown root: '{theirs}'`",
            problem);
    }

    [Fact]
    public void In_a_sticky_folder_others_can_write_roots_entries_are_trusted_and_another_users_are_refused()
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        string sticky = MakeFolder("sticky", Mode1777);
        string ours = WriteFile("sticky/ours/router.json", Mode0644);
        Assert.True(FileTrust.Check(ours, TrustedPathKind.ConfigurationFile, out string? problem), problem);

        // The attacker's folder in it could be renamed away and replaced, whatever root put inside.
        UnprivilegedUser.Run("/bin/mkdir", "-m", "755", Path.Combine(sticky, "theirs"));
        string theirs = Path.Combine(sticky, "theirs");
        string file = Path.Combine(theirs, "router.json");
        File.WriteAllText(file, "{}");
        File.SetUnixFileMode(file, Mode0644);

        Assert.False(FileTrust.Check(file, TrustedPathKind.ConfigurationFile, out problem));
        Assert.Equal(
            $"configuration file '{file}': '{theirs}' lies in '{sticky}', which group and others can write (mode 1777, sticky), and is owned by nobody, who can replace it: run `chown root: '{theirs}'`",
            problem);
    }

    [Fact]
    public void A_plugin_or_socket_folder_others_can_write_is_refused_even_with_the_sticky_bit()
    {
        string folder = MakeFolder("plugins", Mode1777);

        Assert.False(FileTrust.Check(folder, TrustedPathKind.PluginsFolder, out string? problem));
        Assert.Equal($"plugins folder '{folder}' is writable by group and others (mode 1777, owner root): run `chmod go-w '{folder}'`", problem);
        Assert.False(FileTrust.Check(folder, TrustedPathKind.ControlSocketFolder, out problem));
        Assert.StartsWith($"control socket folder '{folder}' is writable by group and others", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_is_followed_and_every_folder_on_its_target_path_is_checked()
    {
        string target = WriteFile("real/router.json", Mode0644);
        string link = Path.Combine(MakeFolder("etc", Mode0755), "router.json");
        File.CreateSymbolicLink(link, "../real/router.json");

        Assert.True(FileTrust.Check(link, TrustedPathKind.ConfigurationFile, out string? problem, out string resolved), problem);
        Assert.Equal(target, resolved);

        string real = Path.Combine(_root, "real");
        File.SetUnixFileMode(real, Mode0777);
        Assert.False(FileTrust.Check(link, TrustedPathKind.ConfigurationFile, out problem));
        Assert.Equal(
            $"configuration file '{link}': its folder '{real}' is writable by group and others (mode 0777, owner root), so they can replace '{target}': run `chmod go-w '{real}'`",
            problem);
    }

    [Fact]
    public void An_attackers_link_in_a_sticky_folder_is_refused_though_it_leads_to_a_good_file()
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        string good = WriteFile("real/router.json", Mode0644);
        string sticky = MakeFolder("sticky", Mode1777);
        string link = Path.Combine(sticky, "router.json");
        UnprivilegedUser.Run("/bin/ln", "-s", good, link);

        Assert.False(FileTrust.Check(link, TrustedPathKind.ConfigurationFile, out string? problem));
        Assert.Equal(
            $"configuration file '{link}': '{link}' lies in '{sticky}', which group and others can write (mode 1777, sticky), and is owned by nobody, who can replace it: run `chown -h root: '{link}'`",
            problem);
    }

    [Fact]
    public void Dot_dot_in_a_named_path_is_taken_as_dotnet_opens_it_and_in_a_link_target_as_the_kernel_does()
    {
        // .NET makes a path full before opening it, dropping "x/.." by its text: what is checked is what is read.
        string named = WriteFile("a/router.json", Mode0644);
        WriteFile("b/c/router.json", Mode0644);
        File.CreateSymbolicLink(Path.Combine(_root, "a", "link"), Path.Combine(_root, "b", "c"));
        string path = Path.Combine(_root, "a", "link", "..", "router.json");
        Assert.Equal("{}", File.ReadAllText(path));
        Assert.True(FileTrust.Check(path, TrustedPathKind.ConfigurationFile, out string? problem, out string resolved), problem);
        Assert.Equal(named, resolved);

        // In a link's target the kernel resolves "..", from where the link leads.
        string target = WriteFile("b/router.json", Mode0644);
        File.CreateSymbolicLink(Path.Combine(_root, "a", "up.json"), "link/../router.json");
        Assert.True(FileTrust.Check(Path.Combine(_root, "a", "up.json"), TrustedPathKind.ConfigurationFile, out problem, out resolved), problem);
        Assert.Equal(target, resolved);
    }

    [Fact]
    public void A_loop_of_links_and_a_missing_file_are_refused_saying_which()
    {
        string a = Path.Combine(_root, "a");
        File.CreateSymbolicLink(a, Path.Combine(_root, "b"));
        File.CreateSymbolicLink(Path.Combine(_root, "b"), a);

        Assert.False(FileTrust.Check(a, TrustedPathKind.ConfigurationFile, out string? problem));
        Assert.Contains("more than 40 symbolic links on the way (ELOOP)", problem, StringComparison.Ordinal);

        string missing = Path.Combine(_root, "nope", "router.json");
        Assert.False(FileTrust.Check(missing, TrustedPathKind.ConfigurationFile, out problem));
        Assert.Equal($"configuration file '{missing}' does not exist ('{_root}/nope' is missing)", problem);
    }

    [Fact]
    public void A_file_where_a_folder_is_wanted_and_a_folder_where_a_file_is_wanted_are_refused()
    {
        string file = WriteFile("x.json", Mode0644);
        Assert.False(FileTrust.Check(file, TrustedPathKind.PluginFolder, out string? problem));
        Assert.Equal($"plugin folder '{file}' is not a folder", problem);
        Assert.False(FileTrust.Check(_root, TrustedPathKind.ConfigurationFile, out problem));
        Assert.Equal($"configuration file '{_root}' is not a regular file", problem);
    }

    [Theory]
    [InlineData(0x180, true, null)]
    [InlineData(0x100, true, null)]
    [InlineData(0x1A0, false, "0640")]
    [InlineData(0x184, false, "0604")]
    public void A_key_file_must_not_be_accessible_to_group_or_others_at_all(int mode, bool trusted, string? octal)
    {
        string key = WriteFile("wg0.key", (UnixFileMode)mode);

        Assert.Equal(trusted, FileTrust.Check(key, TrustedPathKind.KeyFile, out string? problem));
        if (!trusted)
        {
            Assert.Equal($"key file '{key}' has mode {octal}: a key must not be accessible to group or others: run `chmod 600 '{key}'`", problem);
        }
    }

    [Fact]
    public void Every_file_and_folder_in_a_checked_tree_must_be_trusted_and_the_files_are_listed()
    {
        string folder = MakeFolder("plugins/Good", Mode0755);
        WriteFile("plugins/Good/Good.dll", Mode0644);
        WriteFile("plugins/Good/runtimes/linux-x64/native/libgood.so", Mode0644);
        WriteFile("elsewhere/shared.dll", Mode0644);
        File.CreateSymbolicLink(Path.Combine(folder, "Shared.dll"), Path.Combine(_root, "elsewhere", "shared.dll"));

        Assert.True(FileTrust.CheckFolderTree(folder, TrustedPathKind.PluginFolder, out string? problem, out IReadOnlyList<TrustedFile> files), problem);
        Assert.Equal(
            ["Good.dll", "Shared.dll", "runtimes/linux-x64/native/libgood.so"],
            files.Select(f => f.RelativePath).Order(StringComparer.Ordinal));
        Assert.Equal(Path.Combine(_root, "elsewhere", "shared.dll"), files.Single(f => f.RelativePath == "Shared.dll").FullPath);

        string native = Path.Combine(folder, "runtimes", "linux-x64", "native", "libgood.so");
        File.SetUnixFileMode(native, (UnixFileMode)0x1B4);
        Assert.False(FileTrust.CheckFolderTree(folder, TrustedPathKind.PluginFolder, out problem, out _));
        Assert.Equal($"plugin folder '{folder}': plugin file '{native}' is writable by group (mode 0664, owner root): run `chmod go-w '{native}'`", problem);

        File.SetUnixFileMode(native, Mode0644);
        Chown(Path.Combine(folder, "runtimes"), UnprivilegedUser.Id);
        Assert.False(FileTrust.CheckFolderTree(folder, TrustedPathKind.PluginFolder, out problem, out _));
        Assert.Contains($"plugin file '{folder}/runtimes' is owned by another user (mode 0755, owner nobody)", problem, StringComparison.Ordinal);

        Chown(Path.Combine(folder, "runtimes"), 0);
        File.SetUnixFileMode(Path.Combine(_root, "elsewhere"), Mode0777);
        Assert.False(FileTrust.CheckFolderTree(folder, TrustedPathKind.PluginFolder, out problem, out _));
        Assert.StartsWith($"plugin folder '{folder}': plugin file '{folder}/Shared.dll': its folder '{_root}/elsewhere' is writable", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Statx_and_passwd_have_the_kernel_and_glibc_layout()
    {
        // sizeof/offsetof printed by a C program against linux/stat.h and glibc 2.36's pwd.h on Debian 12.
        Assert.Equal(256, sizeof(statx_t));
        Assert.Equal(20, (int)Marshal.OffsetOf<statx_t>(nameof(statx_t.stx_uid)));
        Assert.Equal(24, (int)Marshal.OffsetOf<statx_t>(nameof(statx_t.stx_gid)));
        Assert.Equal(28, (int)Marshal.OffsetOf<statx_t>(nameof(statx_t.stx_mode)));
        Assert.Equal(48, sizeof(passwd));
        Assert.Equal(16, (int)Marshal.OffsetOf<passwd>(nameof(passwd.pw_uid)));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string MakeFolder(string relative, UnixFileMode mode)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(path, Mode0755);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private string WriteFile(string relative, UnixFileMode mode)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!, Mode0755);
        File.WriteAllText(path, "{}");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static void Chown(string path, int uid) => ChildProcess.Run("/bin/chown", [$"{uid}:{uid}", path]).EnsureSuccess();
}
