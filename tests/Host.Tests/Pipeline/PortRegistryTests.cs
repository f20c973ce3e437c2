using System.Net;
using RouterHost.Abstractions;
using RouterHost.Pipeline;

namespace RouterHost.Tests.Pipeline;

public sealed class PortRegistryTests
{
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

        PortInfo withMtu = ports.AddPeer("a", [], "wg", ["10.9.0.0/16"], 1420);
        PortInfo without = ports.AddPeer("b", [], "wg", ["10.8.0.0/16"]);

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
}
