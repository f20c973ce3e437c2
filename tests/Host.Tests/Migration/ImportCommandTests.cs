using System.Text.Json;
using RouterHost.Cli;
using RouterHost.Migration;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Migration;

/// <summary>
/// <c>routerhost import wg-quick</c>: what it writes (key files 0600 in a 0700 folder, a configuration the real
/// <c>routerhost validate</c> accepts), what it reports, and what it refuses.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ImportCommandTests
{
    private const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode SecretFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static string DataFolder => Path.Combine(RepositoryPaths.Root, "tests", "Host.Tests", "Migration", "wg-quick");

    public static TheoryData<string> DataFiles { get; } = new(Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "tests", "Host.Tests", "Migration", "wg-quick"), "*.conf").Select(Path.GetFileName)!);

    [Theory]
    [MemberData(nameof(DataFiles))]
    public void Every_real_style_file_imports_to_a_configuration_routerhost_validate_accepts(string name)
    {
        using var dir = new TempDirectory();
        string source = Copy(dir, name);
        (int exit, string output, string error) = Import(source, dir.Combine("out"));
        Assert.True(exit == 0, error);
        string stem = Path.GetFileNameWithoutExtension(name);
        string configuration = dir.Combine("out", stem + ".json");
        Assert.Contains($"wrote {configuration}", output, StringComparison.Ordinal);

        Assert.Equal(SecretFolder, File.GetUnixFileMode(dir.Combine("out", "keys")));
        foreach (string key in Directory.GetFiles(dir.Combine("out", "keys")))
        {
            Assert.Equal(Secret, File.GetUnixFileMode(key));
        }

        (int validateExit, string validateOutput) = RouterHostProcess.Run("validate", "--config", configuration);
        Assert.True(validateExit == 0, validateOutput);
        Assert.Contains("Configuration is valid", validateOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("error: ", validateOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void The_hub_file_becomes_a_tun_routing_and_wireguard_with_every_setting_reported()
    {
        using var dir = new TempDirectory();
        string source = Copy(dir, "wg0.conf");
        (int exit, string output, string error) = Import(source, dir.Combine("out"));
        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(dir.Combine("out", "wg0.json")));
        JsonElement root = json.RootElement;
        JsonElement tun = root.GetProperty("Interfaces").GetProperty("wg0");
        Assert.Equal("LinuxTun", tun.GetProperty("Backend").GetString());
        Assert.Equal(["10.88.0.1/24", "fd88::1/64"], tun.GetProperty("Settings").GetProperty("Addresses").EnumerateArray().Select(e => e.GetString()));
        // The peers' AllowedIPs become kernel routes through the router's KernelRoutes (on by default for the only TUN): no
        // static Routes to duplicate them, and no KernelRoutes key to restate the default.
        Assert.False(tun.GetProperty("Settings").TryGetProperty("Routes", out _));
        Assert.False(tun.TryGetProperty("KernelRoutes", out _));
        Assert.Contains("peers' AllowedIPs: kernel routes on wg0 added by the router (Interfaces:wg0:KernelRoutes", output, StringComparison.Ordinal);
        JsonElement stages = root.GetProperty("Pipeline").GetProperty("Stages");
        Assert.Equal(["Routing", "WireGuard"], stages.EnumerateArray().Select(s => s.GetProperty("Type").GetString()));
        Assert.False(stages[0].GetProperty("Settings").GetProperty("ConnectedRoutes").GetBoolean());
        JsonElement wg = stages[1].GetProperty("Settings");
        Assert.Equal(51820, wg.GetProperty("ListenPort").GetInt32());
        Assert.Equal(3, wg.GetProperty("Peers").EnumerateObject().Count());
        Assert.Equal("25s", wg.GetProperty("Peers").GetProperty("peer1").GetProperty("PersistentKeepalive").GetString());
        Assert.Equal(dir.Combine("out", "keys", "wg0.peer1.psk"), wg.GetProperty("Peers").GetProperty("peer1").GetProperty("PresharedKeyFile").GetString());

        // One line each for what is not carried over, with file:line.
        Assert.Contains($"{source}:7: DNS not carried over", output, StringComparison.Ordinal);
        Assert.Contains($"{source}:9: PostUp not carried over", output, StringComparison.Ordinal);
        Assert.Contains($"{source}:10: PostDown not carried over", output, StringComparison.Ordinal);
        Assert.Contains($"{source}:11: SaveConfig not carried over", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(source).Split("PrivateKey = ")[1][..44] + "\n", File.ReadAllText(dir.Combine("out", "keys", "wg0.key")));
    }

    [Fact]
    public void The_full_tunnel_client_keeps_its_fwmark_and_reports_its_table_as_not_carried_over()
    {
        using var dir = new TempDirectory();
        string source = Copy(dir, "client.conf");
        (int exit, string output, string error) = Import(source, dir.Combine("out"));
        Assert.True(exit == 0, error);
        string text = File.ReadAllText(dir.Combine("out", "client.json"));
        using JsonDocument json = JsonDocument.Parse(text);
        JsonElement wg = json.RootElement.GetProperty("Pipeline").GetProperty("Stages")[1].GetProperty("Settings");
        Assert.Equal(0xca6c, wg.GetProperty("FwMark").GetInt32());
        Assert.DoesNotContain("\"Table\"", text, StringComparison.Ordinal);
        Assert.False(json.RootElement.GetProperty("Interfaces").GetProperty("client").TryGetProperty("KernelRoutes", out _));

        Assert.Contains($"{source}:6: FwMark -> Pipeline:Stages:1:Settings:FwMark = 51820", output, StringComparison.Ordinal);
        Assert.Contains($"{source}:7: Table = 51820 not carried over: RouterHost puts the peers' kernel routes in the main table", output, StringComparison.Ordinal);
        Assert.Contains($"{source}:12: AllowedIPs 0.0.0.0/0 (full tunnel) -> Pipeline:Stages:1:Settings:Peers:peer1:AllowedIPs: the router marks the tunnel's sockets (51820)", output, StringComparison.Ordinal);
        Assert.Contains($"{source}:12: AllowedIPs ::/0 (full tunnel)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("lands", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("off", false)]
    [InlineData("auto", null)]
    [InlineData("OFF", false)]
    [InlineData("main", null)]
    public void Table_off_turns_the_kernel_routes_off_and_nothing_else_writes_a_key(string table, bool? kernelRoutes)
    {
        using var dir = new TempDirectory();
        string text = File.ReadAllText(Path.Combine(DataFolder, "client.conf")).Replace("Table = 51820", $"Table = {table}", StringComparison.Ordinal);
        string source = dir.WriteFile("client.conf", text);
        File.SetUnixFileMode(source, Secret);
        (int exit, string output, string error) = Import(source, dir.Combine("out"));
        Assert.True(exit == 0, error);
        string configuration = dir.Combine("out", "client.json");
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(configuration));
        JsonElement iface = json.RootElement.GetProperty("Interfaces").GetProperty("client");
        Assert.Equal(kernelRoutes, iface.TryGetProperty("KernelRoutes", out JsonElement value) ? value.GetBoolean() : null);
        Assert.DoesNotContain("\"Table\"", File.ReadAllText(configuration), StringComparison.Ordinal);
        if (kernelRoutes == false)
        {
            Assert.Contains($"{source}:7: Table = {table} -> Interfaces:client:KernelRoutes = false", output, StringComparison.Ordinal);
            Assert.Contains($"{source}:12: AllowedIPs 0.0.0.0/0 -> Pipeline:Stages:1:Settings:Peers:peer1:AllowedIPs: no default route", output, StringComparison.Ordinal);
        }
        else if (table == "auto")
        {
            Assert.Contains($"{source}:7: Table = auto: nothing to write", output, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"{source}:7: Table = {table} not carried over", output, StringComparison.Ordinal);
        }

        (int validateExit, string validateOutput) = RouterHostProcess.Run("validate", "--config", configuration);
        Assert.True(validateExit == 0, validateOutput);
    }

    [Theory]
    [InlineData("0xffffffff")]
    [InlineData("2147483648")]
    [InlineData("254")]
    public void A_fwmark_the_stage_refuses_is_an_error_at_its_line(string mark)
    {
        using var dir = new TempDirectory();
        string text = File.ReadAllText(Path.Combine(DataFolder, "client.conf")).Replace("FwMark = 0xca6c", $"FwMark = {mark}", StringComparison.Ordinal);
        string source = dir.WriteFile("client.conf", text);
        File.SetUnixFileMode(source, Secret);
        (int exit, _, string error) = Import(source, dir.Combine("out"));
        Assert.Equal(1, exit);
        Assert.Contains($"error: {source}:6: FwMark ", error, StringComparison.Ordinal);
        Assert.Contains("other than 253-255", error, StringComparison.Ordinal);
        Assert.Contains("nothing was written", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("off")]
    [InlineData("0")]
    public void Fwmark_off_writes_no_mark(string mark)
    {
        using var dir = new TempDirectory();
        string text = File.ReadAllText(Path.Combine(DataFolder, "client.conf")).Replace("FwMark = 0xca6c", $"FwMark = {mark}", StringComparison.Ordinal);
        string source = dir.WriteFile("client.conf", text);
        File.SetUnixFileMode(source, Secret);
        (int exit, string output, string error) = Import(source, dir.Combine("out"));
        Assert.True(exit == 0, error);
        Assert.DoesNotContain("FwMark", File.ReadAllText(dir.Combine("out", "client.json")), StringComparison.Ordinal);
        Assert.Contains($"{source}:6: FwMark off: nothing to write", output, StringComparison.Ordinal);
        Assert.Contains("the router marks the tunnel's sockets (the listen port)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Existing_files_are_not_overwritten_without_force()
    {
        using var dir = new TempDirectory();
        string source = Copy(dir, "laptop.conf");
        Assert.Equal(0, Import(source, dir.Combine("out")).Exit);
        File.WriteAllText(dir.Combine("out", "laptop.json"), "mine");
        (int exit, _, string error) = Import(source, dir.Combine("out"));
        Assert.Equal(1, exit);
        Assert.Contains("laptop.json exists; nothing was written (use --force", error, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(dir.Combine("out", "laptop.json")));

        Assert.Equal(0, Import(source, dir.Combine("out"), "--force").Exit);
        Assert.StartsWith("{", File.ReadAllText(dir.Combine("out", "laptop.json")), StringComparison.Ordinal);
        Assert.Equal(Secret, File.GetUnixFileMode(dir.Combine("out", "laptop.json")));
    }

    [Fact]
    public void A_json_output_path_names_the_file_and_its_folder_gets_the_keys()
    {
        using var dir = new TempDirectory();
        string source = Copy(dir, "laptop.conf");
        (int exit, _, string error) = Import(source, dir.Combine("site", "tunnel.json"));
        Assert.True(exit == 0, error);
        Assert.True(File.Exists(dir.Combine("site", "tunnel.json")));
        Assert.True(File.Exists(dir.Combine("site", "keys", "laptop.key")));
    }

    [Fact]
    public void A_malformed_file_writes_nothing_and_names_file_and_line()
    {
        using var dir = new TempDirectory();
        string source = dir.WriteFile("bad.conf", "[Interface]\nPrivateKey = nope\n[Peer]\nAllowedIPs = 10.0.0.0/33\n");
        File.SetUnixFileMode(source, Secret);
        (int exit, _, string error) = Import(source, dir.Combine("out"));
        Assert.Equal(1, exit);
        Assert.Contains($"error: {source}:2: PrivateKey is not a WireGuard key", error, StringComparison.Ordinal);
        Assert.Contains($"error: {source}:4: AllowedIPs entry '10.0.0.0/33'", error, StringComparison.Ordinal);
        Assert.Contains("nothing was written", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void A_file_others_can_write_is_refused_with_the_fix()
    {
        using var dir = new TempDirectory();
        string source = Copy(dir, "laptop.conf");
        File.SetUnixFileMode(source, Secret | UnixFileMode.OtherWrite);
        (int exit, _, string error) = Import(source, dir.Combine("out"));
        Assert.Equal(1, exit);
        Assert.Contains("chmod", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir.Combine("out")));
    }

    [Fact]
    public void An_MTU_the_tunnel_cannot_take_is_an_error_at_its_line()
    {
        using var dir = new TempDirectory();
        string text = File.ReadAllText(Path.Combine(DataFolder, "laptop.conf")).Replace("ListenPort = 51830", "ListenPort = 51830\nMTU = 500", StringComparison.Ordinal);
        string source = dir.WriteFile("small.conf", text);
        File.SetUnixFileMode(source, Secret);
        (int exit, _, string error) = Import(source, dir.Combine("out"));
        Assert.Equal(1, exit);
        Assert.Contains($"{source}:5: MTU 500 is outside what RouterHost's tunnel takes", error, StringComparison.Ordinal);
    }

    private static string Copy(TempDirectory dir, string name)
    {
        string path = dir.Combine(name);
        File.Copy(Path.Combine(DataFolder, name), path);
        File.SetUnixFileMode(path, Secret);
        return path;
    }

    private static (int Exit, string Output, string Error) Import(string source, string output, params string[] more)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        bool force = more.Contains("--force");
        int exit = ImportCommand.Run(source, output, force, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
