using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Migration;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary><see cref="WireGuardStage.WriteConfig"/>: wg showconf's layout, keys only when asked, and it reads back.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WriteConfigTests : IDisposable
{
    private readonly KeyPair _keys = new();
    private readonly KeyPair _peer = new();
    private readonly string _psk;
    private readonly WireGuardStage _stage;

    public WriteConfigTests()
    {
        _psk = _keys.WriteSecret("p.psk", KeyPair.NewPresharedKey());
        IConfigurationSection settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["s:PrivateKeyFile"] = _keys.PrivateKeyFile,
            ["s:ListenPort"] = "0",
            ["s:ListenAddresses:0"] = "127.0.0.1",
            ["s:Sockets"] = "1",
            ["s:Peers:site-b:PublicKey"] = _peer.PublicKey,
            ["s:Peers:site-b:PresharedKeyFile"] = _psk,
            ["s:Peers:site-b:Endpoint"] = "[2001:db8::7]:51820",
            ["s:Peers:site-b:AllowedIPs:0"] = "10.5.0.0/16",
            ["s:Peers:site-b:AllowedIPs:1"] = "fd05::/48",
            ["s:Peers:site-b:PersistentKeepalive"] = "25s",
        }).Build().GetSection("s");
        var context = new StageContext("wg", settings, NullLoggerFactory.Instance, new PortRegistry(), 0, 1);
        _stage = (WireGuardStage)new WireGuardStagePlugin().Create(context);
    }

    [Fact]
    public void With_secrets_it_is_wg_showconf_plus_wg_quick_lines_and_parses_back()
    {
        var text = new StringWriter { NewLine = "\n" };
        _stage.WriteConfig(text, includeSecrets: true, ["Address = 10.5.0.1/16", "MTU = 1420"]);
        string shown = text.ToString();
        Assert.StartsWith("[Interface]\nAddress = 10.5.0.1/16\nMTU = 1420\nListenPort = ", shown, StringComparison.Ordinal);
        var errors = new List<WgQuickProblem>();
        WgQuickConfig? config = WgQuickParser.Parse(shown, "showconf", errors, []);
        Assert.True(config is not null, string.Join("\n", errors) + "\n" + shown);
        Assert.Equal(_keys.PrivateKey, WireGuardKey.Format(config.PrivateKey!.Value.Value));
        WgQuickPeer peer = Assert.Single(config.Peers);
        Assert.Equal(_peer.PublicKey, WireGuardKey.Format(peer.PublicKey!.Value.Value));
        Assert.Equal(File.ReadAllText(_psk).Trim(), WireGuardKey.Format(peer.PresharedKey!.Value.Value));
        Assert.Equal(["10.5.0.0/16", "fd05::/48"], peer.AllowedIPs.Select(p => p.ToString()));
        Assert.Equal("[2001:db8::7]:51820", peer.Endpoint?.ToString());
        Assert.Equal(25, peer.PersistentKeepalive?.Value);
        Assert.Contains("# site-b\n[Peer]", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_secrets_no_key_but_the_public_one_is_printed()
    {
        var text = new StringWriter { NewLine = "\n" };
        _stage.WriteConfig(text, includeSecrets: false, []);
        string shown = text.ToString();
        Assert.DoesNotContain(_keys.PrivateKey, shown, StringComparison.Ordinal);
        Assert.DoesNotContain(File.ReadAllText(_psk).Trim(), shown, StringComparison.Ordinal);
        Assert.DoesNotContain("PresharedKey =", shown, StringComparison.Ordinal);
        Assert.Contains($"# PublicKey = {_keys.PublicKey}", shown, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _stage.Dispose();
        _keys.Dispose();
        _peer.Dispose();
    }
}
