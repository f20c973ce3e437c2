using System.Net;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;
using RouterHost.Pipeline;

namespace RouterHost.Tests.Pipeline;

public sealed class StageServicesTests
{
    private sealed class FixedResolver(PortId egress) : IRouteResolver
    {
        public bool TryResolve(ReadOnlySpan<byte> destination, uint flowHash, out PortId result)
        {
            result = egress;
            return !egress.IsNone;
        }
    }

    [Fact]
    public void A_published_service_is_found_by_its_contract_type_and_only_one_may_be_published()
    {
        var services = new StageServices();
        Assert.False(services.TryGet(out IRouteResolver? missing));
        Assert.Null(missing);

        services.Publish<IRouteResolver>(new FixedResolver(PortId.Interface(2)));

        Assert.True(services.TryGet(out IRouteResolver? resolver));
        Assert.True(resolver.TryResolve([10, 0, 0, 1], 0, out PortId egress));
        Assert.Equal(PortId.Interface(2), egress);
        var ex = Assert.Throws<InvalidOperationException>(() => services.Publish<IRouteResolver>(new FixedResolver(PortId.None)));
        Assert.Contains("already published", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Peers_carry_their_allowed_prefixes_and_interfaces_none()
    {
        var ports = new PortRegistry();
        PortInfo lan = ports.AddInterface("lan", ["inside"], "Memory");
        PortInfo alice = ports.AddPeer("wg", new PeerRegistration("alice", ["peers"], [IPNetwork.Parse("10.9.0.0/16"), IPNetwork.Parse("fd09::/48")], 0));
        PortInfo bob = ports.AddPeer("wg", new PeerRegistration("bob", [], [], 0));

        Assert.Empty(lan.Prefixes);
        Assert.Equal([IPNetwork.Parse("10.9.0.0/16"), IPNetwork.Parse("fd09::/48")], alice.Prefixes);
        Assert.Empty(bob.Prefixes);
        Assert.True(ports.TryGet(alice.Id, out PortInfo? found));
        Assert.Same(alice, found);
    }

    [Fact]
    public void A_context_built_without_a_registry_offers_nothing_and_refuses_publishing()
    {
        var context = new StageContext("s", new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build().GetSection("x"),
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, new PortRegistry(), 0, 1);
        Assert.False(context.Services.TryGet(out IRouteResolver? _));
        Assert.Throws<InvalidOperationException>(() => context.Services.Publish<IRouteResolver>(new FixedResolver(PortId.None)));
    }
}
