using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Configuration;
using RouterHost.Pipeline;
using RouterHost.Tests.Support;

namespace RouterHost.Tests.Pipeline;

public sealed class RouterBuildTests
{
    private static Exception Build(string json, out MemoryExchange exchange)
    {
        exchange = MemoryExchange.New();
        IConfigurationRoot configuration = TestRouter.Configure(json, exchange);
        var problems = ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options);
        Assert.Empty(problems);
        return Assert.ThrowsAny<Exception>(() => Router.Build(options, configuration, TestRouter.Catalog, NullLoggerFactory.Instance).Dispose());
    }

    [Fact]
    public void A_backend_whose_Create_throws_fails_startup_naming_the_interface_plugin_and_cause_and_releases_what_was_built()
    {
        Exception ex = Build("""
            {
              "Interfaces": {
                "a0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } },
                "b1": { "Backend": "Memory", "Settings": { "FailCreate": true } } }
            }
            """, out MemoryExchange exchange);

        var startup = Assert.IsType<RouterStartupException>(ex);
        Assert.Contains("Interfaces:b1: interface 'b1' (backend 'Memory' from ", startup.Message, StringComparison.Ordinal);
        Assert.Contains("/dev/memory0 is busy", startup.Message, StringComparison.Ordinal);
        Assert.False(exchange.IsPublished("a0", 0), "the interface built before the failure was not released");
    }

    [Fact]
    public void A_stage_that_cannot_start_fails_startup_with_its_own_message()
    {
        Exception ex = Build("""
            {
              "Pipeline": { "Stages": [ { "Name": "to-nowhere", "Type": "Forward", "Settings": { "To": "eth9" } } ] },
              "Interfaces": { "mem0": { "Backend": "Memory", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """, out MemoryExchange exchange);

        var startup = Assert.IsType<RouterStartupException>(ex);
        Assert.Contains("stage 'to-nowhere' (plugin 'Forward') could not start", startup.Message, StringComparison.Ordinal);
        Assert.Contains("Pipeline:Stages:0:Settings:To names 'eth9'", startup.Message, StringComparison.Ordinal);
        Assert.False(exchange.IsPublished("mem0", 0));
    }

    [Fact]
    public void Interfaces_become_ports_found_by_name_with_their_groups()
    {
        var exchange = MemoryExchange.New();
        IConfigurationRoot configuration = TestRouter.Configure("""
            {
              "Interfaces": {
                "lan": { "Backend": "Memory", "Groups": [ "inside", "trusted" ], "Settings": { "Exchange": "$EXCHANGE" } },
                "wan": { "Backend": "Memory", "Groups": "outside", "Settings": { "Exchange": "$EXCHANGE" } } }
            }
            """, exchange);
        Assert.Empty(ConfigurationValidator.Validate(configuration, TestRouter.Catalog, out RouterOptions options));
        using Router router = Router.Build(options, configuration, TestRouter.Catalog, NullLoggerFactory.Instance);

        Assert.True(router.Ports.TryFind("WAN", out var wan));
        Assert.Equal(Abstractions.PortKind.Interface, wan.Id.Kind);
        Assert.True(wan.InGroup("outside"));
        Assert.True(router.Ports.TryFind("lan", out var lan));
        Assert.Equal(["inside", "trusted"], lan.Groups);
        Assert.NotEqual(lan.Id, wan.Id);

        var peer = router.Ports.AddPeer("wg", new Abstractions.PeerRegistration("alice", ["peers"], [], 0));
        Assert.Equal(Abstractions.PortKind.Peer, peer.Id.Kind);
        Assert.Throws<InvalidOperationException>(() => router.Ports.AddPeer("wg", new Abstractions.PeerRegistration("lan", [], [], 0)));
    }
}
