using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Configuration;
using RouterHost.Abstractions;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Stage;
using RouterHost.WireGuard.Tests.Support;

namespace RouterHost.WireGuard.Tests.Stage;

/// <summary>
/// Live peer changes without traffic: the diff of running and desired peers (<see cref="PeerPlan"/>), and the stage's
/// reload path against the router's real port registry — what is added, removed and changed, what is refused with which
/// key path, and that running peers are untouched by a refused change.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LivePeerTests
{
    private static readonly PeerConfigurationState NoState = PeerConfigurationState.Empty;

    // ---- the diff ----

    [Fact]
    public void The_diff_sorts_peers_into_added_removed_and_changed_by_public_key()
    {
        RunningPeer a = Running("A", "a", ["10.1.0.0/16"]);
        RunningPeer b = Running("B", "b", ["10.2.0.0/16"]);
        RunningPeer c = Running("C", "c", ["10.3.0.0/16"]);
        var desired = new PeerConfiguration(
        [
            File("A", "a", ["10.1.0.0/16"]),
            File("B", "b", ["10.22.0.0/16"]),
            File("D", "d", ["10.4.0.0/16"]),
        ])
        {
            ReplacePeers = true,
        };

        PeerPlan plan = PeerPlan.Compute([a, b, c], desired);

        Assert.Empty(plan.Problems);
        Assert.Equal("d", Assert.Single(plan.Added).Name);
        Assert.Same(c, Assert.Single(plan.Removed));
        var (running, planned, what) = Assert.Single(plan.Changed);
        Assert.Same(b, running);
        Assert.Equal(PeerChange.AllowedIPs, what);
        Assert.Equal(["10.22.0.0/16"], planned.State.AllowedIPs);
    }

    [Fact]
    public void The_diff_sees_each_field_change_and_a_rename_as_remove_and_add()
    {
        RunningPeer a = Running("A", "a", ["10.1.0.0/16"]);
        DesiredPeer changed = File("A", "a", ["10.1.0.0/16"]) with
        {
            Endpoint = "192.0.2.1:51820",
            PresharedKey = Key(7),
            PersistentKeepalive = TimeSpan.FromSeconds(25),
            Groups = ["sites"],
        };

        var (_, _, what) = Assert.Single(PeerPlan.Compute([a], new PeerConfiguration([changed]) { ReplacePeers = true }).Changed);
        Assert.Equal(PeerChange.Endpoint | PeerChange.PresharedKey | PeerChange.PersistentKeepalive | PeerChange.Groups, what);

        PeerPlan renamed = PeerPlan.Compute([a], new PeerConfiguration([File("A", "a2", ["10.1.0.0/16"])]) { ReplacePeers = true });
        Assert.Same(a, Assert.Single(renamed.Removed));
        Assert.Equal("a2", Assert.Single(renamed.Added).Name);
        Assert.Empty(renamed.Changed);

        Assert.True(PeerPlan.Compute([a], new PeerConfiguration([File("A", "a", ["10.1.0.0/16"])]) { ReplacePeers = true }).IsEmpty);
    }

    [Fact]
    public void The_diff_maps_the_UAPI_set_semantics()
    {
        RunningPeer a = Running("A", "a", ["10.1.0.0/16", "10.11.0.0/16"]);
        RunningPeer b = Running("B", "b", ["10.2.0.0/16"]);

        // Without replace_peers, peers not named stay; update_only adds nobody; remove takes a peer out.
        PeerPlan plan = PeerPlan.Compute([a, b], new PeerConfiguration(
        [
            new DesiredPeer("uapi peer 1", KeyBytes("B")) { Remove = true },
            new DesiredPeer("uapi peer 2", KeyBytes("Z")) { UpdateOnly = true, AllowedIPs = ["10.9.0.0/16"] },
            new DesiredPeer("uapi peer 3", KeyBytes("A")) { AllowedIPs = ["10.12.0.0/16"], RemoveAllowedIPs = ["10.11.0.0/16"] },
        ]));
        Assert.Empty(plan.Problems);
        Assert.Empty(plan.Added);
        Assert.Same(b, Assert.Single(plan.Removed));
        var (_, planned, what) = Assert.Single(plan.Changed);
        Assert.Equal(PeerChange.AllowedIPs, what);
        Assert.Equal(["10.1.0.0/16", "10.12.0.0/16"], planned.State.AllowedIPs);

        // replace_allowed_ips replaces the list; a new peer without a name is named after its key.
        plan = PeerPlan.Compute([a], new PeerConfiguration(
        [
            new DesiredPeer("uapi peer 1", KeyBytes("A")) { AllowedIPs = ["10.5.0.0/16"], ReplaceAllowedIPs = true },
            new DesiredPeer("uapi peer 2", KeyBytes("N")) { AllowedIPs = ["10.6.0.0/16"] },
        ])
        {
            ReplacePeers = false,
        });
        Assert.Equal(["10.5.0.0/16"], Assert.Single(plan.Changed).Planned.State.AllowedIPs);
        Assert.StartsWith("peer-", Assert.Single(plan.Added).Name, StringComparison.Ordinal);
    }

    [Fact]
    public void The_diff_refuses_a_key_twice_a_name_twice_and_a_name_another_port_has_with_key_paths()
    {
        RunningPeer a = Running("A", "a", ["10.1.0.0/16"]);

        PeerPlan twiceKey = PeerPlan.Compute([a], new PeerConfiguration([File("B", "b", []), File("B", "b2", [])]) { ReplacePeers = true });
        Assert.Contains(twiceKey.Problems, p => p.Path == "s:Peers:b2:PublicKey" && p.Message.Contains("also the public key at s:Peers:b", StringComparison.Ordinal));

        PeerPlan twiceName = PeerPlan.Compute([a], new PeerConfiguration([File("A", "a", []), File("C", "a", [])]));
        Assert.Contains(twiceName.Problems, p => p.Path == "s:Peers:a" && p.Message.Contains("already the name of the running peer", StringComparison.Ordinal));

        PeerPlan taken = PeerPlan.Compute([a], new PeerConfiguration([File("A", "a", []), File("L", "lan", [])]), name => name == "lan" ? "interface 'lan' (interface#0)" : null);
        Assert.Contains(taken.Problems, p => p.Path == "s:Peers:lan" && p.Message.Contains("already used by interface 'lan'", StringComparison.Ordinal));

        // A running name may go to a new key when the old peer leaves in the same change.
        PeerPlan swapped = PeerPlan.Compute([a], new PeerConfiguration([File("Q", "a", [])]) { ReplacePeers = true });
        Assert.Empty(swapped.Problems);
        Assert.Same(a, Assert.Single(swapped.Removed));
    }

    [Fact]
    public void Property_a_file_style_change_leaves_exactly_the_desired_peers_and_touches_no_unchanged_one()
    {
        Prop.ForAll(
            Gen.Choose(0, 63).ToArbitrary(),
            Gen.Choose(0, 63).ToArbitrary(),
            Gen.Choose(0, 63).ToArbitrary(),
            (runningBits, desiredBits, changedBits) =>
            {
                var running = new List<RunningPeer>();
                var desired = new List<DesiredPeer>();
                for (int i = 0; i < 6; i++)
                {
                    if ((runningBits & (1 << i)) != 0)
                    {
                        running.Add(Running($"K{i}", $"p{i}", [$"10.{i}.0.0/16"]));
                    }

                    if ((desiredBits & (1 << i)) != 0)
                    {
                        desired.Add(File($"K{i}", $"p{i}", [(changedBits & (1 << i)) != 0 ? $"10.{i + 100}.0.0/16" : $"10.{i}.0.0/16"]));
                    }
                }

                PeerPlan plan = PeerPlan.Compute(running, new PeerConfiguration(desired) { ReplacePeers = true });
                var after = new HashSet<string>(running.Select(p => p.PublicKey));
                after.ExceptWith(plan.Removed.Select(p => p.PublicKey));
                after.UnionWith(plan.Added.Select(p => p.PublicKey));
                bool same = after.SetEquals(desired.Select(p => Convert.ToBase64String(p.PublicKey)));
                bool untouched = plan.Changed.All(c => (changedBits & (1 << int.Parse(c.Running.Name[1..], System.Globalization.CultureInfo.InvariantCulture))) != 0);
                return plan.Problems.Count == 0 && same && untouched;
            }).QuickCheckThrowOnFailure();
    }

    // ---- the stage ----

    [Fact]
    public void A_reload_adds_changes_and_removes_peers_and_leaves_an_unchanged_peer_as_it_was()
    {
        using var keys = new KeyPair();
        using var peerA = new KeyPair();
        using var peerB = new KeyPair();
        using var peerC = new KeyPair();
        var ports = new PortRegistry();
        ports.AddInterface("lan", [], "test");
        var seen = new List<PortsChangedEventArgs>();
        using WireGuardStage stage = Create(keys, ports, Peer("a", peerA, "10.1.0.0/16"), Peer("b", peerB, "10.2.0.0/16"));
        ports.PortsChanged += (_, e) => seen.Add(e);
        WireGuardPeer a = stage.Peers[0];
        WireGuardPeer b = stage.Peers[1];

        IReadOnlyList<ConfigurationProblem> problems = stage.Reconfigure(Section(keys, Peer("a", peerA, "10.1.0.0/16"), Peer("b", peerB, "10.22.0.0/16"), Peer("c", peerC, "10.3.0.0/16", "192.0.2.9:51820")), ports);

        Assert.Empty(problems);
        Assert.Same(a, stage.Peers[0]);
        Assert.Same(b, stage.Peers[1]);
        WireGuardPeer c = stage.Peers[2];
        Assert.Equal("c", c.Name);
        Assert.Same(c, stage.PeerFor(c.Port));
        Assert.Same(c, stage.FindPeer(Convert.FromBase64String(peerC.PublicKey)));
        Assert.Equal("192.0.2.9:51820", c.Endpoint?.Remote.ToString());
        Assert.True(c.Index > b.Index);
        Assert.True(ports.TryFind("b", out PortInfo bPort));
        Assert.Equal(["10.22.0.0/16"], bPort.Prefixes.Select(p => p.ToString()));
        Assert.True(ports.TryFind("c", out PortInfo cPort));
        Assert.Equal(["10.3.0.0/16"], cPort.Prefixes.Select(p => p.ToString()));
        Assert.Single(seen);

        // c leaves: out of the table at once and marked removed; the handshake thread zeroes it.
        Assert.Empty(stage.Reconfigure(Section(keys, Peer("a", peerA, "10.1.0.0/16"), Peer("b", peerB, "10.22.0.0/16")), ports));
        Assert.True(c.IsRemoved);
        Assert.Null(stage.PeerFor(c.Port));
        Assert.Null(stage.FindPeer(Convert.FromBase64String(peerC.PublicKey)));
        Assert.False(ports.TryFind("c", out _));
        stage.Loop.RunOnce(stage.Now);
        Assert.True(c.Keypairs.IsEmpty);

        // Nothing changed: no notification, the same peers.
        Assert.Empty(stage.Reconfigure(Section(keys, Peer("a", peerA, "10.1.0.0/16"), Peer("b", peerB, "10.22.0.0/16")), ports));
        Assert.Equal(2, seen.Count);
        Assert.Equal([a, b], stage.Peers);

        // Counters of a peer added at runtime land in its own slot.
        WireGuardCounters counters = stage.RegisterCounters();
        counters.CountReceived(c.Index + 40, 10);
        Assert.Equal(10, counters.RxBytes[c.Index + 40]);
    }

    [Fact]
    public void A_malformed_or_clashing_reload_is_refused_with_key_paths_and_the_running_peers_are_untouched()
    {
        using var keys = new KeyPair();
        using var peerA = new KeyPair();
        using var peerB = new KeyPair();
        var ports = new PortRegistry();
        ports.AddInterface("lan", [], "test");
        using WireGuardStage stage = Create(keys, ports, Peer("a", peerA, "10.1.0.0/16"));
        WireGuardPeer a = stage.Peers[0];
        IReadOnlyList<PortInfo> before = ports.Ports;

        // The same public key twice.
        IReadOnlyList<ConfigurationProblem> twice = stage.Reconfigure(Section(keys, Peer("a", peerA, "10.1.0.0/16"), Peer("a2", peerA, "10.5.0.0/16")), ports);
        Assert.Contains(twice, p => p.Path == "s:Peers:a2:PublicKey" && p.Message.Contains("also the public key of peer 'a'", StringComparison.Ordinal));

        // A peer named like an interface.
        IReadOnlyList<ConfigurationProblem> clash = stage.Reconfigure(Section(keys, Peer("a", peerA, "10.1.0.0/16"), Peer("lan", peerB, "10.5.0.0/16")), ports);
        Assert.Contains(clash, p => p.Path == "s:Peers:lan" && p.Message.Contains("already used by interface 'lan'", StringComparison.Ordinal));

        // Our own key as a peer; a bad prefix; an endpoint that is no endpoint.
        IReadOnlyList<ConfigurationProblem> own = stage.Reconfigure(Section(keys, Peer("a", peerA, "10.1.0.0/16"), Peer("me", keys, "10.5.0.0/16")), ports);
        Assert.Contains(own, p => p.Path == "s:Peers:me:PublicKey" && p.Message.Contains("own public key", StringComparison.Ordinal));
        IReadOnlyList<ConfigurationProblem> bad = stage.Reconfigure(Section(keys, Peer("a", peerA, "10.1.0.300/16"), Peer("b", peerB, "10.5.0.0/16", "nowhere")), ports);
        Assert.Contains(bad, p => p.Path == "s:Peers:a:AllowedIPs:0");
        Assert.Contains(bad, p => p.Path == "s:Peers:b:Endpoint");

        Assert.Equal([a], stage.Peers);
        Assert.False(a.IsRemoved);
        Assert.Same(before, ports.Ports);
    }

    [Fact]
    public void A_new_private_key_renegotiates_every_peer_and_restart_bound_settings_are_listed_not_applied()
    {
        using var keys = new KeyPair();
        using var newKeys = new KeyPair();
        using var peerA = new KeyPair();
        var ports = new PortRegistry();
        using WireGuardStage stage = Create(keys, ports, Peer("a", peerA, "10.1.0.0/16"));
        WireGuardPeer a = stage.Peers[0];
        var oldIdentity = a.Identity;
        int port = stage.ListenPort;

        Assert.Empty(stage.Reconfigure(StageSettings.Section(newKeys, [("Mtu", "1380")], Peer("a", peerA, "10.1.0.0/16")), ports));

        Assert.Equal(newKeys.PublicKey, RouterHost.WireGuard.Keys.WireGuardKey.Format(stage.Local.PublicKey));
        stage.Loop.RunOnce(stage.Now);
        Assert.NotSame(oldIdentity, a.Identity);
        Assert.Same(a, stage.Peers[0]);
        Assert.Equal(["s:Mtu"], stage.RestartPending);
        Assert.Equal(1420, stage.Mtu);
        Assert.Equal(port, stage.ListenPort);
        Assert.Contains("Mtu", stage.RestartBoundKeys);
        Assert.DoesNotContain("ListenPort", stage.RestartBoundKeys);
    }

    private static RunningPeer Running(string key, string name, string[] allowed) =>
        new(Convert.ToBase64String(KeyBytes(key)), name, new byte[32], NoState with { Path = $"s:Peers:{name}", AllowedIPs = allowed });

    private static DesiredPeer File(string key, string name, string[] allowed) =>
        new($"s:Peers:{name}", KeyBytes(key))
        {
            Name = name,
            PresharedKey = [],
            SetsEndpoint = true,
            AllowedIPs = allowed,
            ReplaceAllowedIPs = true,
            PersistentKeepalive = TimeSpan.Zero,
            Groups = [],
        };

    private static byte[] KeyBytes(string seed)
    {
        var key = new byte[32];
        System.Text.Encoding.ASCII.GetBytes(seed).CopyTo(key, 0);
        return key;
    }

    private static byte[] Key(byte fill) => Enumerable.Repeat(fill, 32).ToArray();

    private static (string Name, string PublicKey, string Allowed, string? Endpoint) Peer(string name, KeyPair key, string allowed, string? endpoint = null) =>
        (name, key.PublicKey, allowed, endpoint);

    private static IConfigurationSection Section(KeyPair keys, params (string Name, string PublicKey, string Allowed, string? Endpoint)[] peers) =>
        StageSettings.Section(keys, [], peers);

    private static WireGuardStage Create(KeyPair keys, PortRegistry ports, params (string Name, string PublicKey, string Allowed, string? Endpoint)[] peers) =>
        StageSettings.Create(Section(keys, peers), ports);
}
