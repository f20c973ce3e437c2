using RouterHost.WireGuard.Keys;

namespace RouterHost.WireGuard.Tests.Keys;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class KeyFileTests : IDisposable
{
    private const UnixFileMode Mode0755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly string _directory = Directory.CreateTempSubdirectory("rh-keyfile-").FullName;

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite)]
    [InlineData(UnixFileMode.UserRead)]
    public void A_key_file_only_its_owner_can_access_is_read(UnixFileMode mode)
    {
        var key = new byte[32];
        key[5] = 9;
        string path = Write("ok.key", WireGuardKey.Format(key) + "\n", mode);
        var read = new byte[32];
        Assert.True(KeyFile.TryRead(path, read, out string? problem), problem);
        Assert.Equal(key, read);
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, "0644")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, "0640")]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite, "0602")]
    public void A_key_file_group_or_others_can_access_is_refused_with_its_mode_and_the_fix(UnixFileMode mode, string octal)
    {
        string path = Write("open.key", WireGuardKey.Format(new byte[32]) + "\n", mode);
        Assert.False(KeyFile.TryRead(path, new byte[32], out string? problem));
        Assert.Contains($"has mode {octal}", problem, StringComparison.Ordinal);
        Assert.Contains($"chmod 600 '{path}'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_or_one_that_holds_no_key_is_refused_naming_the_file()
    {
        string missing = Path.Combine(_directory, "nope.key");
        Assert.False(KeyFile.TryRead(missing, new byte[32], out string? problem));
        Assert.Contains("does not exist", problem, StringComparison.Ordinal);
        Assert.Contains(missing, problem, StringComparison.Ordinal);

        string garbage = Write("garbage.key", "not a key at all\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.False(KeyFile.TryRead(garbage, new byte[32], out problem));
        Assert.Contains("is not a WireGuard key", problem, StringComparison.Ordinal);

        string huge = Write("huge.key", new string('A', 10_000), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.False(KeyFile.TryRead(huge, new byte[32], out problem));
        Assert.Contains("10000 bytes", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_0600_key_another_user_owns_is_refused_naming_the_owner_and_the_chown()
    {
        Assert.SkipWhen(UnprivilegedUser.UnavailableReason is not null, UnprivilegedUser.UnavailableReason ?? string.Empty);
        File.SetUnixFileMode(_directory, Mode0755);
        string drop = Path.Combine(_directory, "drop");
        Directory.CreateDirectory(drop);
        File.SetUnixFileMode(drop, (UnixFileMode)0x3FF);
        string path = Path.Combine(drop, "wg0.key");
        UnprivilegedUser.Shell($"umask 077 && echo '{WireGuardKey.Format(new byte[32])}' > '{path}'");

        Assert.False(KeyFile.TryRead(path, new byte[32], out string? problem));
        Assert.Equal($"key file '{path}' is owned by another user (mode 0600, owner nobody): run `chown root: '{path}'`", problem);
    }

    [Fact]
    public void A_0600_root_key_in_a_folder_others_can_write_is_refused_naming_the_folder()
    {
        string open = Path.Combine(_directory, "open");
        Directory.CreateDirectory(open);
        File.SetUnixFileMode(open, (UnixFileMode)0x1FF);
        string path = Path.Combine(open, "wg0.key");
        File.WriteAllText(path, WireGuardKey.Format(new byte[32]) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        Assert.False(KeyFile.TryRead(path, new byte[32], out string? problem));
        Assert.Equal(
            $"key file '{path}': its folder '{open}' is writable by group and others (mode 0777, owner root), so they can replace '{path}': run `chmod go-w '{open}'`",
            problem);
    }

    [Fact]
    public void A_0600_root_key_in_a_0700_root_folder_is_read()
    {
        string folder = Path.Combine(_directory, "keys");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var key = new byte[32];
        key[31] = 7;
        string path = Path.Combine(folder, "wg0.key");
        File.WriteAllText(path, WireGuardKey.Format(key) + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var read = new byte[32];
        Assert.True(KeyFile.TryRead(path, read, out string? problem), problem);
        Assert.Equal(key, read);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text, UnixFileMode mode)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
