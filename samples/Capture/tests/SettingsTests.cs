using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;

namespace RouterHost.Samples.Capture.Tests;

public sealed class SettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("capture-settings-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Good_settings_have_no_problems()
    {
        Assert.Empty(Validate(new()
        {
            ["Folder"] = _folder,
            ["FileName"] = "edge-1",
            ["SnapLength"] = "128",
            ["MaxFileBytes"] = "1048576",
            ["MaxFiles"] = "10",
            ["BufferBytes"] = "1048576",
            ["Ports:0"] = "tun0",
            ["Prefixes:0"] = "10.0.0.0/8",
            ["Prefixes:1"] = "2001:db8::/32",
            ["Protocols:0"] = "icmp",
            ["Protocols:1"] = "47",
        }));
    }

    [Theory]
    [InlineData("Colour", "blue", "S:Colour", "unknown key")]
    [InlineData("Protocols:0", "tcpp", "S:Protocols:0", "protocol name (tcp, udp, icmp")]
    [InlineData("Protocols", "300", "S:Protocols", "0-255")]
    [InlineData("Prefixes:0", "10.1.2.3/8", "S:Prefixes:0", "write '10.0.0.0/8'")]
    [InlineData("Prefixes:0", "ten", "S:Prefixes:0", "IPv4 or IPv6 prefix")]
    [InlineData("SnapLength", "0", "S:SnapLength", "between 1 and 262144")]
    [InlineData("SnapLength", "lots", "S:SnapLength", "between 1 and 262144")]
    [InlineData("MaxFileBytes", "100", "S:MaxFileBytes", "at least 1024")]
    [InlineData("MaxFiles", "-1", "S:MaxFiles", "between 0 and")]
    [InlineData("BufferBytes", "10", "S:BufferBytes", "between 131072 and")]
    [InlineData("FileName", "../etc/x", "S:FileName", "letters, digits")]
    [InlineData("FileName", ".hidden", "S:FileName", "letters, digits")]
    public void Bad_values_are_refused_at_their_key_path(string key, string value, string path, string says)
    {
        ConfigurationProblem problem = Assert.Single(Validate(new() { ["Folder"] = _folder, [key] = value }));
        Assert.Equal(path, problem.Path);
        Assert.Contains(says, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_folder_is_required()
    {
        ConfigurationProblem problem = Assert.Single(Validate(new() { ["SnapLength"] = "100" }));
        Assert.Equal("S:Folder", problem.Path);
        Assert.Contains("is required", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_relative_or_missing_folder_is_refused_saying_how_to_fix_it()
    {
        Assert.Contains("not an absolute path", Assert.Single(Validate(new() { ["Folder"] = "captures" })).Message, StringComparison.Ordinal);
        string missing = Path.Combine(_folder, "missing");
        string message = Assert.Single(Validate(new() { ["Folder"] = missing })).Message;
        Assert.Contains($"'{missing}' does not exist", message, StringComparison.Ordinal);
        Assert.Contains("install -d -m 0750 -o root -g root", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_others_can_write_is_refused_with_its_mode_and_the_chmod()
    {
        File.SetUnixFileMode(_folder, (UnixFileMode)0b111_111_111);
        ConfigurationProblem problem = Assert.Single(Validate(new() { ["Folder"] = _folder }));
        Assert.Equal("S:Folder", problem.Path);
        Assert.Contains($"'{_folder}' can be written by group or others (owner root, mode 0777); run `chmod go-w '{_folder}'`", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_someone_else_owns_is_refused_with_the_chown()
    {
        Assert.SkipUnless(Environment.UserName == "root", "needs root to give the folder away");
        string folder = Directory.CreateDirectory(Path.Combine(_folder, "given-away")).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_000);
        Chown(folder, 65534);
        string message = Assert.Single(Validate(new() { ["Folder"] = folder })).Message;
        Assert.Contains($"'{folder}' is owned by uid 65534 (mode 0750)", message, StringComparison.Ordinal);
        Assert.Contains($"chown root: '{folder}'", message, StringComparison.Ordinal);

        // Under a folder someone else owns, even a folder of root's is not safe: they can replace it.
        string inner = Directory.CreateDirectory(Path.Combine(folder, "inner")).FullName;
        Chown(inner, 0);
        message = Assert.Single(Validate(new() { ["Folder"] = inner })).Message;
        Assert.Contains($"'{folder}' (above the capture folder) is owned by uid 65534", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_under_one_others_can_write_without_the_sticky_bit_is_refused()
    {
        string inner = Directory.CreateDirectory(Path.Combine(_folder, "inner")).FullName;
        File.SetUnixFileMode(_folder, (UnixFileMode)0b111_111_111);
        string message = Assert.Single(Validate(new() { ["Folder"] = inner })).Message;
        Assert.Contains($"'{_folder}' (above the capture folder) can be written by group or others (mode 0777)", message, StringComparison.Ordinal);
        Assert.Contains($"chmod go-w '{_folder}'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_reached_through_a_symbolic_link_is_refused()
    {
        string link = _folder + "-link";
        File.CreateSymbolicLink(link, _folder);
        try
        {
            Assert.Contains("is a symbolic link", Assert.Single(Validate(new() { ["Folder"] = link })).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(link);
        }
    }

    [Theory]
    [InlineData("{\"Folder\": 5}")]
    [InlineData("{\"Folder\": {\"a\": 1}}")]
    [InlineData("{\"Ports\": {\"a\": {\"b\": 1}}}")]
    [InlineData("{\"Protocols\": [[]]}")]
    [InlineData("{\"Prefixes\": [\"\", null]}")]
    [InlineData("{\"MaxFileBytes\": 1e400}")]
    [InlineData("{\"\": 1}")]
    public void Malformed_settings_never_throw_and_every_problem_has_a_path(string json)
    {
        IReadOnlyList<ConfigurationProblem> problems = new CapturePlugin().Validate(Section(json));
        Assert.NotEmpty(problems);
        Assert.All(problems, p => Assert.StartsWith("S", p.Path, StringComparison.Ordinal));
    }

    internal static IConfigurationSection Section(string json)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes("{\"S\": " + json + "}"));
        return new ConfigurationBuilder().AddJsonStream(stream).Build().GetSection("S");
    }

    private static IReadOnlyList<ConfigurationProblem> Validate(Dictionary<string, string?> values)
    {
        IConfigurationRoot root = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(kv => new KeyValuePair<string, string?>("S:" + kv.Key, kv.Value)))
            .Build();
        return new CapturePlugin().Validate(root.GetSection("S"));
    }

    private static void Chown(string path, int uid)
    {
        using var process = System.Diagnostics.Process.Start("chown", [uid.ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
