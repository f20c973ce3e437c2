using System.Net;
using RouterHost.Abstractions;
using RouterHost.Routing;
using RouterHost.Routing.Stage;

namespace RouterHost.FunctionalTests;

/// <summary>
/// Peers changed at runtime: the routing stage rebuilds its snapshot from the registry's notification,
/// so a peer's routes and its source check (cryptokey routing) appear and go in one swap.
/// </summary>
public sealed class LivePeerRoutingTests
{
    private static readonly byte[] InB = [10, 20, 0, 7];
    private static readonly byte[] InOldB = [10, 21, 0, 7];

    [Fact]
    public void A_peer_added_changed_and_removed_at_runtime_gets_its_routes_and_source_check_in_one_snapshot()
    {
        using var harness = new StageHarness("""{ "Routes": [] }""");
        RoutingSnapshot first = harness.Routing.Snapshot!;

        PortInfo b = Assert.Single(harness.Ports.ChangePeers("tunnel", new PeerChanges { Add = [new PeerRegistration("b", [], [IPNetwork.Parse("10.21.0.0/16")], 1420)] }));
        RoutingSnapshot added = harness.Routing.Snapshot!;
        Assert.NotSame(first, added);
        Assert.True(added.Table.TryLookup(InOldB, 0, out RouteTarget route));
        Assert.Equal(b.Id, route.Port);
        Assert.True(added.Allowed.Contains(b.Id, InOldB));
        Assert.False(first.Table.TryLookup(InOldB, 0, out _)); // the old snapshot is untouched: readers of it see neither

        // New allowed IPs: the new prefix routes to b and is allowed from it, the old one neither — in the same snapshot.
        harness.Ports.ChangePeers("tunnel", new PeerChanges { Update = [new PeerUpdate(b.Id, [], [IPNetwork.Parse("10.20.0.0/16")], 1420)] });
        RoutingSnapshot changed = harness.Routing.Snapshot!;
        Assert.True(changed.Table.TryLookup(InB, 0, out route));
        Assert.Equal(b.Id, route.Port);
        Assert.True(changed.Allowed.Contains(b.Id, InB));
        Assert.False(changed.Table.TryLookup(InOldB, 0, out _));
        Assert.False(changed.Allowed.Contains(b.Id, InOldB));

        harness.Ports.ChangePeers("tunnel", new PeerChanges { Remove = [b.Id] });
        RoutingSnapshot removed = harness.Routing.Snapshot!;
        Assert.False(removed.Table.TryLookup(InB, 0, out _));
        Assert.False(removed.Allowed.Contains(b.Id, InB));
        Assert.True(removed.Allowed.Contains(harness.Alice, [10, 9, 0, 1]));
    }

    [Fact]
    public void A_removal_that_a_configured_route_still_names_keeps_the_last_snapshot_until_the_routes_are_fixed()
    {
        using var harness = new StageHarness("""{ "Routes": [ { "Destination": "10.30.0.0/16", "Peer": "alice" } ] }""");
        RoutingSnapshot before = harness.Routing.Snapshot!;

        harness.Ports.ChangePeers("tunnel", new PeerChanges { Remove = [harness.Alice] });

        Assert.Same(before, harness.Routing.Snapshot);
    }
}
