using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Cli;

/// <summary>The real routerhost refuses to start with a private key other users can read, and says how to fix it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class KeyFileRefusalTests
{
    [Theory]
    [InlineData("run")]
    [InlineData("validate")]
    public void A_world_readable_private_key_stops_the_router_naming_the_key_path_the_mode_and_the_fix(string command)
    {
        using var keys = new KeyPair();
        using var peer = new KeyPair();
        File.SetUnixFileMode(keys.PrivateKeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        string config = Path.Combine(Path.GetDirectoryName(keys.PrivateKeyFile)!, "router.json");
        File.WriteAllText(config, $$"""
            {
              "Control": { "Socket": "off" },
              "Pipeline": { "Stages": [ { "Type": "WireGuard", "Settings": {
                "PrivateKeyFile": "{{keys.PrivateKeyFile}}", "ListenPort": 0, "ListenAddresses": [ "127.0.0.1" ],
                "Peers": { "p": { "PublicKey": "{{peer.PublicKey}}", "AllowedIPs": [ "10.9.0.0/24" ] } } } } ] }
            }
            """);

        (int exit, string output) = RouterHostProcess.Run(command, "--config", config);

        Assert.Equal(1, exit);
        Assert.Contains("Pipeline:Stages:0:Settings:PrivateKeyFile", output, StringComparison.Ordinal);
        Assert.Contains("has mode 0644", output, StringComparison.Ordinal);
        Assert.Contains($"chmod 600 '{keys.PrivateKeyFile}'", output, StringComparison.Ordinal);
        Assert.DoesNotContain(keys.PrivateKey, output, StringComparison.Ordinal);
        Assert.DoesNotContain("RouterHost ready", output, StringComparison.Ordinal);
    }

}
