using System.Net;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;
using RouterHost.Pipeline;

namespace RouterHost.Tests.Pipeline;

public sealed class PortRegistryTests
{
    private static IPNetwork[] Nets(params string[] prefixes) => [.. prefixes.Select(IPNetwork.Parse)];

    [Fact]
    public void A_list_of_ports_read_earlier_stays_as_it_was_while_peers_are_added_changed_and_removed()
    {
        var ports = new PortRegistry();
        PortInfo lan = ports.AddInterface("lan", [], "Memory");
        var held = new List<(IReadOnlyList<PortInfo> List, PortInfo[] Then)>();
        for (int i = 0; i < 100; i++)
        {
            IReadOnlyList<PortInfo> now = ports.Ports;
            held.Add((now, [.. now]));
            ports.AddPeer("wg", new PeerRegistration($"p{i}", [], Nets($"10.{i}.0.0/16"), 0));
        }

        PortInfo[] all = [.. ports.Ports];
        ports.ChangePeers("wg", new PeerChanges { Remove = [all[5].Id], Add = [new PeerRegistration("q", [], [], 0)] });
        ports.AddPeer("wg", new PeerRegistration("r", [], [], 0));

        foreach ((IReadOnlyList<PortInfo> list, PortInfo[] then) in held)
        {
            Assert.Equal(then, list.ToArray());
            Assert.Throws<ArgumentOutOfRangeException>(() => list[list.Count]);
        }

        Assert.Equal(101, all.Length);
        Assert.Equal(lan, all[0]);
        Assert.Equal([.. Enumerable.Range(0, 100).Select(i => $"p{i}")], all[1..].Select(p => p.Name));
        Assert.Equal([.. all.Where((_, i) => i != 5).Select(p => p.Name), "q", "r"], ports.Ports.Select(p => p.Name));
    }

    [Fact]
    public void A_peer_is_registered_with_typed_prefixes_and_a_negative_mtu_is_refused_naming_the_peer()
    {
        var ports = new PortRegistry();
        PortInfo a = ports.AddPeer("wg", new PeerRegistration("a", ["sites"], Nets("10.9.0.0/16", "fd09::/48"), 1420));
        Assert.Equal(Nets("10.9.0.0/16", "fd09::/48"), a.Prefixes);
        Assert.Equal("wg", a.Owner);

        var mtu = Assert.Throws<ArgumentOutOfRangeException>(() => ports.AddPeer("wg", new PeerRegistration("c", [], [], -1)));
        Assert.Contains("'c'", mtu.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => ports.ChangePeers("wg", new PeerChanges { Update = [new PeerUpdate(a.Id, [], [], -1)] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ports.ChangePeers("wg", new PeerChanges { Add = [new PeerRegistration("d", [], [], -1)] }));
        Assert.Equal(["a"], ports.Ports.Select(p => p.Name));
    }

    [Fact]
    public void An_interface_s_link_is_seen_by_name_by_id_and_in_the_list()
    {
        var ports = new PortRegistry();
        PortInfo lan = ports.AddInterface("lan", ["inside"], "Memory");
        ports.AddInterface("wan", [], "Memory");
        var link = new InterfaceLink([new InterfaceAddress(IPAddress.Parse("10.0.0.1"), 24)], InterfaceAddressOwner.Router, 9000);

        PortInfo updated = ports.SetInterfaceLink(lan.Id, link);

        Assert.Equal(9000, updated.Mtu);
        Assert.Equal(InterfaceAddressOwner.Router, updated.AddressOwner);
        Assert.Equal("10.0.0.1/24", Assert.Single(updated.Addresses).ToString());
        Assert.True(ports.TryFind("LAN", out PortInfo byName));
        Assert.True(ports.TryGet(lan.Id, out PortInfo byId));
        Assert.Same(updated, byName);
        Assert.Same(updated, byId);
        Assert.Same(updated, ports.Ports[0]);
        Assert.Equal(["inside"], updated.Groups);
    }

    [Fact]
    public void A_peer_carries_the_inner_MTU_its_stage_registered_and_0_when_none_was_given()
    {
        var ports = new PortRegistry();

        PortInfo withMtu = ports.AddPeer("wg", new PeerRegistration("a", [], Nets("10.9.0.0/16"), 1420));
        PortInfo without = ports.AddPeer("wg", new PeerRegistration("b", [], Nets("10.8.0.0/16"), 0));

        Assert.Equal(1420, withMtu.Mtu);
        Assert.Equal(0, without.Mtu);
        Assert.Throws<ArgumentException>(() => ports.SetInterfaceLink(withMtu.Id, new InterfaceLink([], InterfaceAddressOwner.Router, 1500)));
    }

    [Fact]
    public void An_interface_address_refuses_a_prefix_longer_than_its_family()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InterfaceAddress(IPAddress.Parse("10.0.0.1"), 33));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InterfaceAddress(IPAddress.Parse("fd00::1"), 129));
        Assert.Equal("fd00::1/64", new InterfaceAddress(IPAddress.Parse("fd00::1"), 64).ToString());
    }

    [Fact]
    public void Peers_are_added_updated_and_removed_at_runtime_in_one_step_with_one_notification()
    {
        var ports = new PortRegistry();
        ports.AddInterface("lan", [], "Memory");
        PortInfo a = ports.AddPeer("wg", new PeerRegistration("a", [], Nets("10.1.0.0/16"), 1420));
        PortInfo b = ports.AddPeer("wg", new PeerRegistration("b", [], Nets("10.2.0.0/16"), 1420));
        var seen = new List<PortsChangedEventArgs>();
        ports.PortsChanged += (_, e) => seen.Add(e);

        IReadOnlyList<PortInfo> added = ports.ChangePeers("wg", new PeerChanges
        {
            Remove = [b.Id],
            Update = [new PeerUpdate(a.Id, ["sites"], Nets("10.1.0.0/16", "10.11.0.0/16"), 1420)],
            Add = [new PeerRegistration("c", ["sites"], Nets("10.3.0.0/16"), 1420)],
        });

        PortsChangedEventArgs change = Assert.Single(seen);
        Assert.Equal("wg", change.Owner);
        Assert.Equal(b.Id, Assert.Single(change.Removed).Id);
        Assert.Equal(Nets("10.1.0.0/16", "10.11.0.0/16"), Assert.Single(change.Updated).Prefixes);
        PortInfo c = Assert.Single(added);
        Assert.Same(c, Assert.Single(change.Added));
        Assert.Equal(["lan", "a", "c"], ports.Ports.Select(p => p.Name));
        Assert.False(ports.TryFind("b", out _));
        Assert.False(ports.TryGet(b.Id, out _));
        Assert.True(ports.TryFind("a", out PortInfo updatedA));
        Assert.Equal(a.Id, updatedA.Id);
        Assert.Equal(["sites"], updatedA.Groups);

        // A removed peer's index is never given again: a packet still carrying it cannot reach the new peer.
        Assert.True(c.Id.Index > b.Id.Index);
        PortInfo again = Assert.Single(ports.ChangePeers("wg", new PeerChanges { Add = [new PeerRegistration("b", [], Nets("10.2.0.0/16"), 1420)] }));
        Assert.True(again.Id.Index > c.Id.Index);
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void A_change_that_does_not_fit_is_refused_as_a_whole_naming_what_and_changes_nothing()
    {
        var ports = new PortRegistry();
        ports.AddInterface("lan", [], "Memory");
        PortInfo a = ports.AddPeer("wg", new PeerRegistration("a", [], Nets("10.1.0.0/16"), 1420));
        PortInfo other = ports.AddPeer("wg2", new PeerRegistration("x", [], Nets("10.9.0.0/16"), 1420));
        int notified = 0;
        ports.PortsChanged += (_, _) => notified++;
        IReadOnlyList<PortInfo> before = ports.Ports;

        // A name an interface has; a name twice in one change; another stage's peer; an interface id; a peer twice.
        var clash = Assert.Throws<InvalidOperationException>(() => ports.ChangePeers("wg", new PeerChanges { Remove = [a.Id], Add = [new PeerRegistration("lan", [], [], 0)] }));
        Assert.Contains("'lan'", clash.Message, StringComparison.Ordinal);
        Assert.Contains("already used by Memory", clash.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<InvalidOperationException>(() => ports.ChangePeers("wg", new PeerChanges { Add = [new PeerRegistration("n", [], [], 0), new PeerRegistration("N", [], [], 0)] }));
        Assert.Contains("added twice", twice.Message, StringComparison.Ordinal);
        var foreign = Assert.Throws<InvalidOperationException>(() => ports.ChangePeers("wg", new PeerChanges { Remove = [other.Id] }));
        Assert.Contains("belongs to wg2", foreign.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => ports.ChangePeers("wg", new PeerChanges { Update = [new PeerUpdate(PortId.Interface(0), [], [], 0)] }));
        Assert.Throws<InvalidOperationException>(() => ports.ChangePeers("wg", new PeerChanges { Remove = [a.Id], Update = [new PeerUpdate(a.Id, [], [], 0)] }));
        Assert.Throws<InvalidOperationException>(() => ports.ChangePeers("wg", new PeerChanges { Add = [new PeerRegistration("a", [], [], 0)] }));

        Assert.Equal(0, notified);
        Assert.Same(before, ports.Ports);
        Assert.True(ports.TryFind("a", out PortInfo stillA));
        Assert.Equal(Nets("10.1.0.0/16"), stillA.Prefixes);

        // A name freed by a removal in the same change may be taken by the peer that replaces it.
        PortInfo replaced = Assert.Single(ports.ChangePeers("wg", new PeerChanges { Remove = [a.Id], Add = [new PeerRegistration("a", [], Nets("10.5.0.0/16"), 1420)] }));
        Assert.NotEqual(a.Id, replaced.Id);
        Assert.Equal(1, notified);
    }
}
