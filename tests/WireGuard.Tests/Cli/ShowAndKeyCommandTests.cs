using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Cli;
using RouterHost.Hosting;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Tests.Interop;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Cli;

/// <summary><c>routerhost show</c> on a router with a live tunnel, and the key commands against <c>wg</c>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class ShowAndKeyCommandTests
{
    [Fact]
    public void Show_prints_the_tunnels_peers_like_wg_show_with_endpoint_latest_handshake_and_transfer()
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("wgs");
        using var keys = new KeyPair();
        using WireGuardGoPeer peer = WireGuardGoPeer.Start(net.B, 51830, ["10.88.0.2/24", "fd88::2/64"]);
        peer.SetPeer(keys.PublicKey, "10.88.0.1/32,fd88::1/128");
        using RouterHostNode node = RouterHostNode.Start(RouterHostNode.Config(net.A, ["10.88.0.1/24", "fd88::1/64"],
            GoPeerTunnel.PeerSettings(keys, peer, Endpoint(sideA: false, ipv6: false, 51830), psk: null)));
        Assert.True(Ping(net.A, OverlayB4).Succeeded, node.Describe());

        // In a folder of its own: the control server refuses a folder others can write, as /tmp is.
        string folder = Directory.CreateTempSubdirectory("rh-show-").FullName;
        try
        {
            string socket = Path.Combine(folder, "control.sock");
            using ControlServer server = ControlServer.TryStart(socket, node.Router, node.Runner, NullLogger.Instance)!;
            Assert.NotNull(server);
            byte[] answer = ShowCommand.Ask(socket, "show");
            using JsonDocument document = JsonDocument.Parse(answer);
            var text = new StringWriter();
            ShowCommand.Render(document.RootElement, text);
            string shown = text.ToString();

            Assert.Contains("stage: wg (WireGuard)", shown, StringComparison.Ordinal);
            Assert.Contains("interface: stage/wg (stage source, 2 queue(s))", shown, StringComparison.Ordinal);
            Assert.Contains("  sent: by its stage (see the stage's status below)", shown, StringComparison.Ordinal);
            Assert.Contains($"  public key: {keys.PublicKey}", shown, StringComparison.Ordinal);
            Assert.Contains("  listen port: 51820", shown, StringComparison.Ordinal);
            Assert.Contains($"  peer: {peer.PublicKey}", shown, StringComparison.Ordinal);
            Assert.Contains("    endpoint: 192.168.77.2:51830", shown, StringComparison.Ordinal);
            Assert.Contains("    allowed ips: 10.88.0.2/32, fd88::2/128", shown, StringComparison.Ordinal);
            Assert.Matches(@"    latest handshake: \d+ seconds? ago", shown);
            Assert.Matches(@"    transfer: [\d.]+ (B|KiB) received, [\d.]+ (B|KiB) sent", shown);
            JsonElement status = document.RootElement.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "wg").GetProperty("status");
            JsonElement shownPeer = status.GetProperty("peers")[0];
            Assert.True(shownPeer.GetProperty("rx_bytes").GetInt64() > 0);
            Assert.True(shownPeer.GetProperty("tx_bytes").GetInt64() > 0);
            Assert.InRange(shownPeer.GetProperty("latest_handshake_unix").GetInt64(), peer.LatestHandshake(keys.PublicKey) - 2, peer.LatestHandshake(keys.PublicKey) + 2);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Genkey_pubkey_and_genpsk_make_keys_wg_agrees_with()
    {
        Assert.SkipWhen(!File.Exists("/usr/bin/wg"), "wg is not installed (apt-get install wireguard-tools; scripts/test installs it)");
        var output = new StringWriter();
        Assert.Equal(0, KeyCommands.Genkey(output, TextWriter.Null));
        string privateKey = output.ToString().Trim();
        Assert.Equal(WireGuardKey.TextLength, privateKey.Length);

        output = new StringWriter();
        Assert.Equal(0, KeyCommands.Pubkey(new StringReader(privateKey + "\n"), output, TextWriter.Null));
        Assert.Equal(Wg("pubkey", privateKey), output.ToString().Trim());

        string wgKey = Wg("genkey", string.Empty);
        output = new StringWriter();
        Assert.Equal(0, KeyCommands.Pubkey(new StringReader(wgKey), output, TextWriter.Null));
        Assert.Equal(Wg("pubkey", wgKey), output.ToString().Trim());

        output = new StringWriter();
        Assert.Equal(0, KeyCommands.Genpsk(output));
        Assert.True(WireGuardKey.TryParse(output.ToString(), new byte[32], out _));

        var error = new StringWriter();
        Assert.Equal(1, KeyCommands.Pubkey(new StringReader("not a key"), TextWriter.Null, error));
        Assert.Contains("standard input is not a WireGuard key", error.ToString(), StringComparison.Ordinal);
    }

    private static string Wg(string command, string stdin) => ChildProcess.Run("/usr/bin/wg", [command], stdin).StdOut.Trim();
}
