using System.Globalization;
using System.Net;
using System.Text;
using RouterHost.Migration;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// <c>routerhost import wg-quick</c> on the real-style files in <c>tests/Host.Tests/Migration/wg-quick</c> (IPv6, PSK,
/// several peers, comments): the configuration it writes passes <c>routerhost validate</c>, and a real <c>routerhost
/// run</c> of it (moved into a test namespace by overrides that name the stage) brings up a tunnel to wireguard-go running
/// the other side's file through Debian's <c>wg setconf</c>, pinging both ways over IPv4 and IPv6. Then <c>routerhost
/// showconf</c> reads the running tunnel back: the output parses with the import parser to the same keys and peers, and
/// Debian's <c>wg setconf</c> accepts it (stripped of wg-quick's keys, as <c>wg-quick strip</c> does) on a wireguard-go
/// interface.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class WgQuickImportInteropTests
{
    private static readonly string[] s_wgQuickOnlyKeys = ["Address", "DNS", "MTU", "Table", "PreUp", "PostUp", "PreDown", "PostDown", "SaveConfig"];

    private static string DataFolder => Path.Combine(RepositoryPaths.Root, "tests", "Host.Tests", "Migration", "wg-quick");

    [Theory]
    [InlineData("wg0.conf", "laptop.conf")]
    [InlineData("laptop.conf", "wg0.conf")]
    public void An_imported_file_validates_and_tunnels_to_wireguard_go_and_showconf_reads_it_back(string routerHostFile, string wireGuardGoFile)
    {
        Assert.SkipWhen(WireGuardGoPeer.UnsupportedReason is not null, WireGuardGoPeer.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("wgq");
        DirectoryInfo folder = Directory.CreateTempSubdirectory("rh-wgq-");
        try
        {
            File.SetUnixFileMode(folder.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            string source = Path.Combine(folder.FullName, routerHostFile);
            File.Copy(Path.Combine(DataFolder, routerHostFile), source);
            File.SetUnixFileMode(source, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            string output = Path.Combine(folder.FullName, "out");

            (int importExit, string importOutput) = RouterHostProcess.Run("import", "wg-quick", source, "--output", output);
            Assert.True(importExit == 0, importOutput);
            string name = Path.GetFileNameWithoutExtension(routerHostFile);
            string configuration = Path.Combine(output, name + ".json");
            (int validateExit, string validateOutput) = RouterHostProcess.Run("validate", "--config", configuration);
            Assert.True(validateExit == 0, validateOutput);

            // The side that sits in namespace A in wg0.conf's world (underlay 192.168.77.1) is wg0; the laptop is B.
            bool routerHostIsA = routerHostFile == "wg0.conf";
            NetworkNamespace routerHostSide = routerHostIsA ? net.A : net.B;
            NetworkNamespace goSide = routerHostIsA ? net.B : net.A;
            WgQuickConfig goConfig = Parse(Path.Combine(DataFolder, wireGuardGoFile));
            using WireGuardGoPeer peer = StartFromFile(goSide, goConfig, File.ReadAllText(Path.Combine(DataFolder, wireGuardGoFile)), folder.FullName);

            string socket = Path.Combine(folder.FullName, "control.sock");
            using RouterHostProcess router = RouterHostProcess.Start(
                ["run", "--config", configuration,
                 $"Interfaces:{name}:Settings:Namespace={routerHostSide.Name}",
                 $"Pipeline:Stages:{name}:Settings:Namespace={routerHostSide.Name}",
                 $"Control:Socket={socket}"]);
            Assert.True(router.WaitForOutput("RouterHost ready", TimeSpan.FromSeconds(60)), router.Output);

            IPAddress remote4 = routerHostIsA ? OverlayB4 : OverlayA4;
            IPAddress remote6 = routerHostIsA ? OverlayB6 : OverlayA6;
            IPAddress local4 = routerHostIsA ? OverlayA4 : OverlayB4;
            IPAddress local6 = routerHostIsA ? OverlayA6 : OverlayB6;
            foreach ((NetworkNamespace from, IPAddress to) in new[] { (routerHostSide, remote4), (routerHostSide, remote6), (goSide, local4), (goSide, local6) })
            {
                ExecResult ping = Ping(from, to);
                Assert.True(ping.Succeeded, $"ping {to} from {from}: {ping.StdOut}{ping.StdErr}\n--- RouterHost:\n{router.Output}\n--- wireguard-go:\n{peer.Log}");
            }

            // showconf, as root: the keys are there, and it parses back to what was imported.
            (int showExit, string shown) = RouterHostProcess.Run("showconf", "--socket", socket);
            Assert.True(showExit == 0, shown);
            WgQuickConfig imported = Parse(source);
            var errors = new List<WgQuickProblem>();
            WgQuickConfig? back = WgQuickParser.Parse(shown, "showconf", errors, []);
            Assert.True(back is not null, string.Join("\n", errors) + "\n" + shown);
            Assert.Equal(WireGuardKey.Format(imported.PrivateKey!.Value.Value), WireGuardKey.Format(back.PrivateKey!.Value.Value));
            Assert.Equal(imported.Peers.Count, back.Peers.Count);
            for (int i = 0; i < imported.Peers.Count; i++)
            {
                Assert.Equal(WireGuardKey.Format(imported.Peers[i].PublicKey!.Value.Value), WireGuardKey.Format(back.Peers[i].PublicKey!.Value.Value));
                Assert.Equal(imported.Peers[i].PresharedKey is null, back.Peers[i].PresharedKey is null);
                Assert.Equal(imported.Peers[i].AllowedIPs.Select(p => p.ToString()), back.Peers[i].AllowedIPs.Select(p => p.ToString()));
            }

            Assert.Equal(imported.Addresses.Select(a => a.ToString()), back.Addresses.Select(a => a.ToString()));
            Assert.Equal(imported.Mtu?.Value ?? WgQuickImporter.DefaultMtu, back.Mtu?.Value);

            // Debian's wg takes it (wg-quick's own keys stripped) on a wireguard-go device.
            using WireGuardGoPeer check = WireGuardGoPeer.Start(goSide, 0, []);
            string stripped = Path.Combine(folder.FullName, "showconf.conf");
            File.WriteAllText(stripped, Strip(shown));
            check.Wg("setconf", check.InterfaceName, stripped);
            string dump = check.Wg("show", check.InterfaceName, "dump");
            foreach (WgQuickPeer p in imported.Peers)
            {
                Assert.Contains(WireGuardKey.Format(p.PublicKey!.Value.Value), dump, StringComparison.Ordinal);
            }

            Assert.StartsWith(WireGuardKey.Format(imported.PrivateKey.Value.Value), dump, StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static WgQuickConfig Parse(string path)
    {
        var errors = new List<WgQuickProblem>();
        WgQuickConfig? config = WgQuickParser.Parse(File.ReadAllText(path), path, errors, []);
        Assert.True(config is not null, string.Join("\n", errors));
        return config;
    }

    /// <summary>wireguard-go with the file's key, port and addresses, configured by <c>wg setconf</c> from the stripped file.</summary>
    private static WireGuardGoPeer StartFromFile(NetworkNamespace ns, WgQuickConfig config, string text, string folder)
    {
        WireGuardGoPeer peer = WireGuardGoPeer.Start(
            ns, config.ListenPort?.Value ?? 0, config.Addresses.Select(a => a.ToString()), config.Mtu?.Value ?? 1420, WireGuardKey.Format(config.PrivateKey!.Value.Value));
        try
        {
            string file = Path.Combine(folder, "go-" + Path.GetFileName(config.File) + ".stripped");
            File.WriteAllText(file, Strip(text));
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            peer.Wg("setconf", peer.InterfaceName, file);
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    /// <summary>What <c>wg-quick strip</c> leaves: the file without wg-quick's own [Interface] keys.</summary>
    private static string Strip(string text)
    {
        var result = new StringBuilder();
        foreach (string line in text.Split('\n'))
        {
            string key = line.Split('#')[0].Split('=')[0].Trim();
            if (line.Contains('=', StringComparison.Ordinal) && s_wgQuickOnlyKeys.Any(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            result.Append(line).Append('\n');
        }

        return result.ToString();
    }
}
