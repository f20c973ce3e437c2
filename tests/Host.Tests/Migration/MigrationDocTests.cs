using System.Text.RegularExpressions;
using RouterHost.Cli;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Migration;

/// <summary>
/// docs/migration.md's example is real: its wg-quick file is the test file the interop test runs against wireguard-go
/// (<c>tests/WireGuard.Tests/Interop/WgQuickImportInteropTests.cs</c>), and its JSON is exactly what the import writes
/// for it (which <see cref="ImportCommandTests"/> validates with the real <c>routerhost validate</c>).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class MigrationDocTests
{
    private static string Doc => File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "migration.md"));

    [Fact]
    public void The_documented_wg_quick_file_is_the_one_the_interop_test_runs()
    {
        Match ini = IniBlock().Match(Doc);
        Assert.True(ini.Success, "docs/migration.md has no ```ini example");
        string file = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "tests", "Host.Tests", "Migration", "wg-quick", "wg0.conf"));
        Assert.Equal(file.TrimEnd('\n'), ini.Groups[1].Value);
    }

    [Fact]
    public void The_documented_configuration_is_what_the_import_writes_for_it()
    {
        Match json = JsonBlock().Match(Doc);
        Assert.True(json.Success, "docs/migration.md has no ```json example");
        using var dir = new TempDirectory();
        string source = dir.Combine("wg0.conf");
        File.Copy(Path.Combine(RepositoryPaths.Root, "tests", "Host.Tests", "Migration", "wg-quick", "wg0.conf"), source);
        File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var error = new StringWriter();
        Assert.True(ImportCommand.Run(source, dir.Combine("out"), force: false, new StringWriter(), error) == 0, error.ToString());
        string written = File.ReadAllText(dir.Combine("out", "wg0.json")).Replace(dir.Combine("out"), "/etc/routerhost", StringComparison.Ordinal);
        Assert.Equal(written.TrimEnd('\n'), json.Groups[1].Value);
    }

    [GeneratedRegex("```ini\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex IniBlock();

    [GeneratedRegex("```json\\n(.*?)\\n```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();
}
