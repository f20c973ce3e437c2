using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Keys;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;
using RouterHost.WireGuard.Uapi;

namespace RouterHost.WireGuard.Tests.Uapi;

/// <summary>
/// A UAPI <c>set</c> against a running stage and the router's real port registry, without traffic: each key reaches
/// <see cref="WireGuardStage.ApplyPeers"/>; what it adds is named and marked as the UAPI's; what cannot be done is
/// refused whole with wireguard-go's errno and changes nothing; a reload makes the file win again.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class UapiApplyTests
{
    [Fact]
    public void Set_adds_changes_and_removes_peers_live_and_a_reload_puts_the_file_back()
    {
        using var keys = new KeyPair();
        using var peerA = new KeyPair();
        using var peerB = new KeyPair();
        using var peerC = new KeyPair();
        var ports = new PortRegistry();
        ports.AddInterface("lan", [], "test");
        var log = new CapturedLog();
        using WireGuardStage stage = Create(keys, ports, log, ("a", peerA.PublicKey, "10.1.0.0/16"));
        WireGuardPeer a = stage.Peers[0];
        string psk = Hex(RandomNumberGenerator.GetBytes(32));

        Assert.True(Set(stage,
            $"public_key={Hex(peerB)}", "allowed_ip=10.2.0.0/16", "allowed_ip=10.12.0.0/16", "endpoint=192.0.2.2:51820", $"preshared_key={psk}", "persistent_keepalive_interval=25",
            $"public_key={Hex(peerC)}", "allowed_ip=10.3.0.0/16").Succeeded);

        Assert.Equal(3, stage.Peers.Count);
        Assert.Same(a, stage.Peers[0]);
        WireGuardPeer b = stage.Peers.Single(p => p.Identity.PublicKey.SequenceEqual(Convert.FromBase64String(peerB.PublicKey)));
        Assert.Equal(UapiName(peerB), b.Name);
        Assert.True(ports.TryFind(b.Name, out PortInfo bPort));
        Assert.Equal(["10.2.0.0/16", "10.12.0.0/16"], bPort.Prefixes.Select(p => p.ToString()));
        Assert.Equal("192.0.2.2:51820", b.Endpoint?.Remote.ToString());
        Assert.True(b.Identity.HasPresharedKey);
        Assert.Equal(25_000, b.PersistentKeepaliveMs);
        Assert.Equal(PeerSource.Uapi, stage.SourceOf(b));
        Assert.Equal(PeerSource.Config, stage.SourceOf(a));
        Assert.Contains("\"source\":\"uapi\"", Status(stage), StringComparison.Ordinal);

        // allowed_ip=-prefix, update_only (adds nobody), remove, and a configured peer changed.
        using var nobody = new KeyPair();
        Assert.True(Set(stage,
            $"public_key={Hex(peerB)}", "allowed_ip=-10.2.0.0/16", "allowed_ip=10.22.0.0/16",
            $"public_key={Hex(nobody)}", "update_only=true", "allowed_ip=10.9.0.0/16",
            $"public_key={Hex(peerC)}", "remove=true",
            $"public_key={Hex(peerA)}", "replace_allowed_ips=true", "allowed_ip=10.11.0.0/16").Succeeded);
        Assert.Equal(2, stage.Peers.Count);
        Assert.Same(b, stage.Peers[1]);
        Assert.Equal(["10.12.0.0/16", "10.22.0.0/16"], b.Configuration.AllowedIPs);
        Assert.Equal(["10.11.0.0/16"], a.Configuration.AllowedIPs);
        Assert.Same(a, stage.Peers[0]);
        Assert.Equal(PeerSource.ConfigChangedByUapi, stage.SourceOf(a));
        Assert.False(ports.TryFind(UapiName(peerC), out _));

        // The file wins: B (not in it) goes, A gets its allowed IPs back, every peer is the file's again.
        Assert.Empty(stage.Reconfigure(Section(keys, [], ("a", peerA.PublicKey, "10.1.0.0/16")), ports));
        WireGuardPeer only = Assert.Single(stage.Peers);
        Assert.Same(a, only);
        Assert.Equal(["10.1.0.0/16"], a.Configuration.AllowedIPs);
        Assert.Equal(PeerSource.Config, stage.SourceOf(a));
        Assert.True(b.IsRemoved);
        Assert.DoesNotContain("\"source\":\"uapi\"", Status(stage), StringComparison.Ordinal);
        Assert.True(log.Contains($"reload: peer {peerB.PublicKey} added through the UAPI and not in the file: removed"), log.Text);
        Assert.True(log.Contains($"reload: peer {peerA.PublicKey} changed through the UAPI: set back to what the file says"), log.Text);
        Assert.True(log.Contains($"reload: peer {peerC.PublicKey}") is false, log.Text); // added and removed through the UAPI: nothing to revert
    }

    [Fact]
    public void A_set_returns_once_the_handshake_thread_has_taken_the_change_so_a_show_right_after_reads_it()
    {
        using var keys = new KeyPair();
        using var peerA = new KeyPair();
        var ports = new PortRegistry();
        using WireGuardStage stage = Create(keys, ports, ("a", peerA.PublicKey, "10.1.0.0/16"));
        stage.Start(ports);

        // The handshake thread is busy (as under a storm on a loaded machine) when the new preshared key arrives.
        using var busy = new ManualResetEventSlim(false);
        using var entered = new ManualResetEventSlim(false);
        stage.Loop.Post(_ =>
        {
            entered.Set();
            busy.Wait(TimeSpan.FromSeconds(10));
        });
        Assert.True(entered.Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        using var release = new Timer(_ => busy.Set(), null, 300, Timeout.Infinite);

        byte[] psk = RandomNumberGenerator.GetBytes(32);
        Assert.True(Set(stage, $"public_key={Hex(peerA)}", $"preshared_key={Hex(psk)}").Succeeded);

        UapiPeerSnapshot shown = Assert.Single(stage.Snapshot().Peers);
        Assert.Equal(psk, shown.PresharedKey);
        Assert.True(stage.Peers[0].Identity.PresharedKey.SequenceEqual(psk));
    }

    [Fact]
    public void Replace_peers_and_several_sections_for_one_key_apply_in_wireguard_go_order()
    {
        using var keys = new KeyPair();
        using var peerA = new KeyPair();
        using var peerB = new KeyPair();
        var ports = new PortRegistry();
        using WireGuardStage stage = Create(keys, ports, ("a", peerA.PublicKey, "10.1.0.0/16"));

        Assert.True(Set(stage, "replace_peers=true",
            $"public_key={Hex(peerB)}", "allowed_ip=10.2.0.0/16",
            $"public_key={Hex(peerB)}", "allowed_ip=10.3.0.0/16",
            $"public_key={Hex(keys)}", "allowed_ip=10.4.0.0/16").Succeeded);

        WireGuardPeer b = Assert.Single(stage.Peers);
        Assert.Equal(["10.2.0.0/16", "10.3.0.0/16"], b.Configuration.AllowedIPs);
        Assert.False(ports.TryFind("a", out _));
    }

    [Fact]
    public void A_new_peer_whose_name_is_a_port_of_the_router_takes_one_more_letter_of_its_key()
    {
        using var keys = new KeyPair();
        using var peerB = new KeyPair();
        var ports = new PortRegistry();
        ports.AddInterface(UapiName(peerB), [], "test");
        using WireGuardStage stage = Create(keys, ports);

        Assert.True(Set(stage, $"public_key={Hex(peerB)}", "allowed_ip=10.2.0.0/16").Succeeded);

        WireGuardPeer b = Assert.Single(stage.Peers);
        Assert.Equal(UapiName(peerB, 9), b.Name);
        Assert.True(ports.TryFind(b.Name, out _));
    }

    [Fact]
    public void What_cannot_be_done_is_refused_whole_with_wireguard_gos_errno_and_nothing_changes()
    {
        using var keys = new KeyPair();
        using var peerA = new KeyPair();
        using var peerB = new KeyPair();
        var ports = new PortRegistry();
        using WireGuardStage stage = Create(keys, ports, ("a", peerA.PublicKey, "10.1.0.0/16"));
        WireGuardPeer a = stage.Peers[0];
        int port = stage.ListenPort;

        // An all-zero private key would leave the stage without one.
        UapiResult zero = Set(stage, $"private_key={new string('0', 64)}", $"public_key={Hex(peerB)}", "allowed_ip=10.2.0.0/16");
        Assert.Equal(UapiErrno.Invalid, zero.Errno);
        Assert.Contains("private_key", zero.Message, StringComparison.Ordinal);

        // A public key that yields no shared secret (a low-order point), beside a good peer: neither is added.
        UapiResult weak = Set(stage, $"public_key={Hex(peerB)}", "allowed_ip=10.2.0.0/16", $"public_key={new string('0', 64)}", "allowed_ip=10.3.0.0/16");
        Assert.Equal(UapiErrno.Invalid, weak.Errno);
        Assert.Contains("no shared secret", weak.Message, StringComparison.Ordinal);

        // A listen port another socket holds: EADDRINUSE, the stage keeps its port.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int taken = ((IPEndPoint)holder.LocalEndPoint!).Port;
        UapiResult busy = Set(stage, $"listen_port={taken}", $"public_key={Hex(peerB)}", "allowed_ip=10.2.0.0/16");
        Assert.Equal(UapiErrno.PortInUse, busy.Errno);

        // Nothing of any refused request was applied.
        Assert.Same(a, Assert.Single(stage.Peers));
        Assert.Equal(port, stage.ListenPort);
        Assert.Equal(["10.1.0.0/16"], a.Configuration.AllowedIPs);
        Assert.Equal(keys.PublicKey, WireGuardKey.Format(stage.Local.PublicKey));

        // Then a listen port that is free: the sockets move.
        holder.Close();
        Assert.True(Set(stage, $"listen_port={taken}").Succeeded);
        Assert.Equal(taken, stage.ListenPort);
    }

    [Fact]
    public void Fwmark_marks_the_live_sockets_and_is_refused_while_a_full_tunnel_routes_by_the_old_mark()
    {
        using var keys = new KeyPair();
        using var peerA = new KeyPair();
        var ports = new PortRegistry();
        using WireGuardStage stage = Create(keys, ports, ("a", peerA.PublicKey, "10.1.0.0/16"));

        Assert.True(Set(stage, "fwmark=4660").Succeeded);
        Assert.Equal(4660u, stage.FirewallMark);
        Assert.Equal(4660u, stage.Snapshot().Fwmark);

        // A default-route peer added now: the full tunnel takes the mark set (KernelRoutes asks the stage for it).
        Assert.True(Set(stage, $"public_key={Hex(peerA)}", "allowed_ip=0.0.0.0/0").Succeeded);
        Assert.Equal(4660u, stage.EnsureFirewallMark());
        UapiResult moved = Set(stage, "fwmark=4661");
        Assert.Equal(UapiErrno.PortInUse, moved.Errno);
        Assert.Contains("full tunnel", moved.Message, StringComparison.Ordinal);
        Assert.Equal(4660u, stage.FirewallMark);

        // Without the default route the mark moves again.
        Assert.True(Set(stage, $"public_key={Hex(peerA)}", "allowed_ip=-0.0.0.0/0").Succeeded);
        Assert.True(Set(stage, "fwmark=0").Succeeded);
        Assert.Equal(0u, stage.FirewallMark);
    }

    [Fact]
    public void Property_any_sequence_of_peer_lines_leaves_the_stage_as_wireguard_go_would_or_refused_unchanged()
    {
        using var keys = new KeyPair();
        KeyPair[] pool = [new KeyPair(), new KeyPair(), new KeyPair(), new KeyPair()];
        string[] prefixes = ["10.1.0.0/16", "10.2.0.0/16", "fd00:1::/64", "192.0.2.0/24"];
        var ports = new PortRegistry();
        using WireGuardStage stage = Create(keys, ports);
        try
        {
            // Each line: which peer (0-3), what (add prefix, remove prefix, replace_allowed_ips, remove, update_only), which prefix.
            Prop.ForAll(
                Gen.ArrayOf(Gen.Choose(0, 4 * 5 * 4 - 1)).Select(a => a.Take(12).ToArray()).ToArbitrary(),
                Gen.Elements(true, false).ToArbitrary(),
                (codes, replacePeers) =>
                {
                    // The reference: wireguard-go's semantics over a plain dictionary.
                    var expected = stage.Peers.ToDictionary(p => WireGuardKey.Format(p.Identity.PublicKey), p => p.Configuration.AllowedIPs.ToList());
                    var before = stage.Peers.ToDictionary(p => WireGuardKey.Format(p.Identity.PublicKey), p => p.Configuration.AllowedIPs.ToList());
                    if (replacePeers)
                    {
                        expected.Clear();
                    }

                    var lines = new List<string>();
                    if (replacePeers)
                    {
                        lines.Add("replace_peers=true");
                    }

                    foreach (int code in codes)
                    {
                        KeyPair peer = pool[code % 4];
                        int what = code / 4 % 5;
                        string prefix = prefixes[code / 20];
                        lines.Add($"public_key={Hex(peer)}");
                        bool created = !expected.TryGetValue(peer.PublicKey, out List<string>? allowed);
                        allowed ??= [];
                        switch (what)
                        {
                            case 0:
                                lines.Add($"allowed_ip={prefix}");
                                if (!allowed.Contains(prefix))
                                {
                                    allowed.Add(prefix);
                                }

                                expected[peer.PublicKey] = allowed;
                                break;
                            case 1:
                                lines.Add($"allowed_ip=-{prefix}");
                                allowed.Remove(prefix);
                                expected[peer.PublicKey] = allowed;
                                break;
                            case 2:
                                lines.Add("replace_allowed_ips=true");
                                expected[peer.PublicKey] = [];
                                break;
                            case 3:
                                lines.Add("remove=true");
                                expected.Remove(peer.PublicKey);
                                break;
                            default:
                                lines.Add("update_only=true");
                                if (!created)
                                {
                                    expected[peer.PublicKey] = allowed;
                                }

                                break;
                        }
                    }

                    UapiResult result = Set(stage, [.. lines]);
                    var actual = stage.Peers.ToDictionary(p => WireGuardKey.Format(p.Identity.PublicKey), p => p.Configuration.AllowedIPs.ToList());

                    // A change the router refuses (the only refusal these lines can meet is the registry's: two peers holding
                    // one prefix) is EINVAL and changes nothing.
                    bool clash = expected.Values.SelectMany(v => v).GroupBy(v => v).Any(g => g.Count() > 1);
                    if (!result.Succeeded)
                    {
                        return clash && result.Errno == UapiErrno.Invalid
                            && actual.Count == before.Count && before.All(e => actual.TryGetValue(e.Key, out List<string>? got) && got.SequenceEqual(e.Value));
                    }

                    return actual.Count == expected.Count
                        && expected.All(e => actual.TryGetValue(e.Key, out List<string>? got) && got.SequenceEqual(e.Value))
                        && stage.Peers.All(p => p.Name.StartsWith("uapi-", StringComparison.Ordinal) && stage.SourceOf(p) == PeerSource.Uapi);
                }).QuickCheckThrowOnFailure();
        }
        finally
        {
            foreach (KeyPair key in pool)
            {
                key.Dispose();
            }
        }
    }

    internal static string UapiName(KeyPair key, int letters = 8) =>
        "uapi-" + new string([.. key.PublicKey.Where(char.IsAsciiLetterOrDigit).Take(letters)]);

    private static UapiResult Set(WireGuardStage stage, params string[] lines)
    {
        var parser = new UapiSetParser();
        for (int i = 0; i < lines.Length; i++)
        {
            Assert.True(parser.Line(lines[i], i + 2), parser.Error.Message);
        }

        return stage.Apply(parser.Request);
    }

    private static string Status(WireGuardStage stage)
    {
        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
        {
            ((IStatusReporter)stage).WriteStatus(writer);
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string Hex(KeyPair key) => Hex(Convert.FromBase64String(key.PublicKey));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static IConfigurationSection Section(KeyPair keys, (string Key, string Value)[] extra, params (string Name, string PublicKey, string Allowed)[] peers) =>
        StageSettings.Section(keys, extra, [.. peers.Select(p => (p.Name, p.PublicKey, p.Allowed, (string?)null))]);

    private static WireGuardStage Create(KeyPair keys, PortRegistry ports, params (string Name, string PublicKey, string Allowed)[] peers) =>
        Create(keys, ports, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, peers);

    private static WireGuardStage Create(KeyPair keys, PortRegistry ports, Microsoft.Extensions.Logging.ILoggerFactory logs, params (string Name, string PublicKey, string Allowed)[] peers) =>
        StageSettings.Create(Section(keys, [], peers), ports, logs);
}
