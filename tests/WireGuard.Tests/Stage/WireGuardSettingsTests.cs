using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Settings.TestSupport;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WireGuardSettingsTests : IDisposable
{
    private readonly KeyPair _keys = new();
    private readonly KeyPair _peer = new();

    [Fact]
    public void A_complete_configuration_reads_with_canonical_prefixes_and_defaults()
    {
        string psk = _keys.WriteSecret("p.psk", KeyPair.NewPresharedKey());
        WireGuardSettings settings = Parse(new()
        {
            ["PrivateKeyFile"] = _keys.PrivateKeyFile,
            ["ListenPort"] = "51999",
            ["Peers:site:PublicKey"] = _peer.PublicKey,
            ["Peers:site:PresharedKeyFile"] = psk,
            ["Peers:site:Endpoint"] = "[2001:db8::7]:51820",
            ["Peers:site:AllowedIPs:0"] = "10.2.3.4/16",
            ["Peers:site:AllowedIPs:1"] = "fd02::9",
            ["Peers:site:PersistentKeepalive"] = "25s",
            ["Peers:site:Groups:0"] = "sites",
        }, out List<ConfigurationProblem> problems);
        Assert.Empty(problems);
        Assert.Equal(51999, settings.ListenPort);
        Assert.Equal(WireGuardSettings.DefaultMtu, settings.Mtu);
        Assert.Equal(2, settings.ListenAddresses.Count);
        Assert.False(settings.ListenAddressesConfigured);
        Assert.True(settings.Gso && settings.Gro);
        PeerSettings peer = Assert.Single(settings.Peers);
        Assert.Equal("site", peer.Name);
        Assert.Equal(["10.2.0.0/16", "fd02::9/128"], peer.AllowedIPs);
        Assert.Equal(TimeSpan.FromSeconds(25), peer.PersistentKeepalive);
        Assert.Equal(32, peer.PresharedKey.Length);
        Assert.Equal(["sites"], peer.Groups);
        Assert.False(settings.Uapi);
        Assert.Null(settings.UapiName);
        Assert.Equal(ReceiveAqmSettings.Default, settings.Aqm);
    }

    [Fact]
    public void The_receive_AQM_is_tuned_or_turned_off_in_its_Aqm_block()
    {
        WireGuardSettings settings = Parse(new()
        {
            ["PrivateKeyFile"] = _keys.PrivateKeyFile,
            ["Aqm:Enabled"] = "false",
            ["Aqm:Target"] = "2ms",
            ["Aqm:Interval"] = "100ms",
        }, out List<ConfigurationProblem> problems);
        Assert.Empty(problems);
        Assert.Equal(new ReceiveAqmSettings(false, TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(100)), settings.Aqm);
    }

    [Fact]
    public void The_UAPI_socket_is_asked_for_with_Uapi_and_named_with_UapiName()
    {
        WireGuardSettings settings = Parse(new()
        {
            ["PrivateKeyFile"] = _keys.PrivateKeyFile,
            ["Uapi"] = "true",
            ["UapiName"] = "wg0",
        }, out List<ConfigurationProblem> problems);
        Assert.Empty(problems);
        Assert.True(settings.Uapi);
        Assert.Equal("wg0", settings.UapiName);
    }

    [Theory]
    [InlineData("PrivateKeyFile", null, "s:PrivateKeyFile", "is required")]
    [InlineData("PrivateKeyFile", "/nonexistent/key", "s:PrivateKeyFile", "does not exist")]
    [InlineData("ListenPort", "70000", "s:ListenPort", "between 0 and 65535")]
    [InlineData("Mtu", "100", "s:Mtu", "between 576")]
    [InlineData("Sockets", "0", "s:Sockets", "between 1 and 64")]
    [InlineData("ListenAddresses:0", "nowhere", "s:ListenAddresses:0", "must be an IP address")]
    [InlineData("Offloads:Gso", "maybe", "s:Offloads:Gso", "true or false")]
    [InlineData("Namespace", "a/b", "s:Namespace", "not a network namespace")]
    [InlineData("Bogus", "1", "s:Bogus", "unknown key")]
    [InlineData("Peers:p:PublicKey", "short", "s:Peers:p:PublicKey", "is not a WireGuard key")]
    [InlineData("Peers:p:PresharedKeyFile", "/nonexistent/psk", "s:Peers:p:PresharedKeyFile", "does not exist")]
    [InlineData("Peers:p:Endpoint", "192.0.2.1", "s:Peers:p:Endpoint", "must be host:port")]
    [InlineData("Peers:p:Endpoint", "2001:db8::1:51820", "s:Peers:p:Endpoint", "needs brackets")]
    [InlineData("Peers:p:Endpoint", "192.0.2.1:0", "s:Peers:p:Endpoint", "not 1..65535")]
    [InlineData("Peers:p:Endpoint", "bad_host!:51820", "s:Peers:p:Endpoint", "neither an IP address nor a DNS name")]
    [InlineData("Peers:p:AllowedIPs:0", "10.0.0.0/33", "s:Peers:p:AllowedIPs:0", "prefix length")]
    [InlineData("Peers:p:AllowedIPs:0", "ten", "s:Peers:p:AllowedIPs:0", "must be a prefix")]
    [InlineData("Peers:p:PersistentKeepalive", "0.5", "s:Peers:p:PersistentKeepalive", "at least 1 second")]
    [InlineData("Peers:p:PersistentKeepalive", "soon", "s:Peers:p:PersistentKeepalive", "must be a duration")]
    [InlineData("Peers:p:Colour", "red", "s:Peers:p:Colour", "unknown key")]
    [InlineData("Uapi", "sometimes", "s:Uapi", "true or false")]
    [InlineData("UapiName", "wg/0", "s:UapiName", "cannot name a WireGuard UAPI socket: use 1 to 15 of A-Z a-z 0-9 . _ -")]
    [InlineData("UapiName", "a-very-long-interface", "s:UapiName", "cannot name a WireGuard UAPI socket")]
    [InlineData("FwMark", "mark", "s:FwMark", "must be off, or a firewall mark 1..2147483647")]
    [InlineData("FwMark", "254", "s:FwMark", "other than 253-255")]
    [InlineData("FwMark", "-1", "s:FwMark", "(got '-1')")]
    [InlineData("FwMark", "0x", "s:FwMark", "(got '0x')")]
    [InlineData("FwMark", "0xffffffff", "s:FwMark", "1..2147483647")]
    [InlineData("FwMark", "99999999999", "s:FwMark", "1..2147483647")]
    [InlineData("Aqm:Enabled", "maybe", "s:Aqm:Enabled", "true or false")]
    [InlineData("Aqm:Target", "fast", "s:Aqm:Target", "a duration between 0.0001s and 1s")]
    [InlineData("Aqm:Target", "50us", "s:Aqm:Target", "(got '50us')")]
    [InlineData("Aqm:Target", "2s", "s:Aqm:Target", "(got '2s')")]
    [InlineData("Aqm:Interval", "0.5ms", "s:Aqm:Interval", "a duration between 0.001s and 10s")]
    [InlineData("Aqm:Target", "30ms", "s:Aqm:Interval", "must be at least the target (30 ms)")]
    [InlineData("Aqm:Codel", "1", "s:Aqm:Codel", "unknown key")]
    public void Each_bad_value_is_reported_at_its_key_path(string key, string? value, string path, string message)
    {
        var values = new Dictionary<string, string?>
        {
            ["PrivateKeyFile"] = _keys.PrivateKeyFile,
            ["Peers:p:PublicKey"] = _peer.PublicKey,
        };
        values[key] = value;
        Parse(values, out List<ConfigurationProblem> problems);
        ConfigurationProblem problem = Assert.Single(problems, p => p.Path == path);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_public_key_used_by_two_peers_is_refused_naming_both()
    {
        Parse(new()
        {
            ["PrivateKeyFile"] = _keys.PrivateKeyFile,
            ["Peers:one:PublicKey"] = _peer.PublicKey,
            ["Peers:two:PublicKey"] = _peer.PublicKey,
        }, out List<ConfigurationProblem> problems);
        ConfigurationProblem problem = Assert.Single(problems);
        Assert.Equal("s:Peers:two:PublicKey", problem.Path);
        Assert.Contains("'one'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_settings_never_throw_and_every_problem_names_a_path_inside_the_section()
    {
        string[] keys = ["PrivateKeyFile", "ListenPort", "ListenAddresses:0", "Sockets", "Mtu", "Offloads:Gso", "Namespace", "FwMark", "Peers:x:PublicKey", "Peers:x:Endpoint", "Peers:x:AllowedIPs:0", "Peers:x:PersistentKeepalive", "Aqm:Enabled", "Aqm:Target", "Aqm:Interval", "Nonsense"];
        Gen<Dictionary<string, string?>> settings = SettingsGen.AnyValues(keys);
        Prop.ForAll(settings.ToArbitrary(), values =>
        {
            Parse(values, out List<ConfigurationProblem> problems);
            return problems.All(p => p.Path.StartsWith("s", StringComparison.Ordinal) && p.Message.Length > 0);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("10.1.2.3/8", "10.0.0.0/8")]
    [InlineData("10.1.2.3", "10.1.2.3/32")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("fd00::1/64", "fd00::/64")]
    [InlineData("::/0", "::/0")]
    [InlineData("::ffff:10.0.0.1/32", "10.0.0.1/32")]
    public void Allowed_prefixes_are_made_canonical(string text, string canonical)
    {
        Assert.True(WireGuardSettings.TryCanonicalPrefix(text, out string? result, out string? problem), problem);
        Assert.Equal(canonical, result);
    }

    [Theory]
    [InlineData(null, 0u)]
    [InlineData("off", 0u)]
    [InlineData("0", 0u)]
    [InlineData("51820", 51820u)]
    [InlineData("0xca6c", 51820u)]
    [InlineData(" 0x1 ", 1u)]
    public void FwMark_reads_as_wg_takes_it(string? text, uint mark)
    {
        var values = new Dictionary<string, string?> { ["PrivateKeyFile"] = _keys.PrivateKeyFile, ["Peers:p:PublicKey"] = _peer.PublicKey, ["FwMark"] = text };
        WireGuardSettings settings = Parse(values, out List<ConfigurationProblem> problems);
        Assert.Empty(problems);
        Assert.Equal(mark, settings.FwMark);
    }

    public void Dispose()
    {
        _keys.Dispose();
        _peer.Dispose();
    }

    private static WireGuardSettings Parse(Dictionary<string, string?> values, out List<ConfigurationProblem> problems)
    {
        IConfigurationSection section = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(kv => new KeyValuePair<string, string?>("s:" + kv.Key, kv.Value)))
            .Build()
            .GetSection("s");
        problems = [];
        return WireGuardSettings.Parse(section, problems);
    }
}
