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
        _stage = StageSettings.Create(StageSettings.Section(
            _keys,
            [
                ("Peers:site-b:PresharedKeyFile", _psk),
                ("Peers:site-b:AllowedIPs:1", "fd05::/48"),
                ("Peers:site-b:PersistentKeepalive", "25s"),
            ],
            ("site-b", _peer.PublicKey, "10.5.0.0/16", "[2001:db8::7]:51820")));
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
