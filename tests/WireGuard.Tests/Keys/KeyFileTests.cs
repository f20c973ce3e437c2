using RouterHost.WireGuard.Keys;

namespace RouterHost.WireGuard.Tests.Keys;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeyFileTests : IDisposable
{
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

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string text, UnixFileMode mode)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }
}
