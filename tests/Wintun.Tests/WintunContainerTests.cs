using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Plugins.Wintun.Tests.Support;
using static RouterHost.Plugins.Wintun.Interop.Errors;
using static RouterHost.Plugins.Wintun.Interop.IpHelper;

namespace RouterHost.Plugins.Wintun.Tests;

/// <summary>Adapter, session and IP configuration lifecycle of <see cref="WintunContainer"/>, on simulated Wintun and IP Helper APIs.</summary>
public sealed class WintunContainerTests : IDisposable
{
    private readonly List<string> _calls = [];
    private readonly SimulatedWintun _wintun;
    private readonly RecordingIpHelper _ip;

    public WintunContainerTests()
    {
        _wintun = new SimulatedWintun(_calls);
        _ip = new RecordingIpHelper(_calls);
    }

    public void Dispose() => _wintun.Dispose();

    private static WintunSettings Settings(Dictionary<string, string?>? values = null)
    {
        var data = new Dictionary<string, string?>();
        foreach (var (k, v) in values ?? [])
        {
            data[$"Interfaces:wt0:Settings:{k}"] = v;
        }

        IConfigurationSection section = new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("Interfaces:wt0:Settings");
        var problems = new List<ConfigurationProblem>();
        WintunSettings settings = WintunSettings.Parse(section, "wt0", problems);
        Assert.Empty(problems);
        return settings;
    }

    private WintunContainer Create(WintunSettings settings) =>
        WintunContainer.Create("wt0", settings, 64, NullLoggerFactory.Instance, _wintun, _ip, TimeProvider.System);

    [Fact]
    public void Create_mode_creates_the_adapter_with_its_name_tunnel_type_and_GUID_and_starts_one_session_with_the_configured_ring_capacity()
    {
        var guid = Guid.Parse("5f3e0b7c-8a51-4d6e-9c2f-1b7a4e6d0c93");
        using WintunContainer container = Create(Settings(new()
        {
            ["AdapterName"] = "RouterHost LAN",
            ["TunnelType"] = "Lab",
            ["Guid"] = guid.ToString(),
            ["RingCapacity"] = "4MiB",
        }));

        var adapter = Assert.Single(_wintun.OpenAdapters);
        Assert.Equal(("RouterHost LAN", "Lab", guid, true), adapter);
        Assert.Equal(0x400000u, _wintun.SessionCapacity);
        IQueue queue = Assert.Single(container.Queues);
        Assert.IsNotAssignableFrom<IGsoWriter>(queue);
        Assert.Equal(0, queue.Index);
        Assert.Equal("wt0", container.Name);
        Assert.Equal("0.14", WintunContainer.FormatVersion(container.DriverVersion));
    }

    [Fact]
    public void Without_a_configured_GUID_the_adapter_gets_the_same_GUID_from_its_name_every_time()
    {
        using (Create(Settings(new() { ["AdapterName"] = "lan" })))
        {
        }

        using (Create(Settings(new() { ["AdapterName"] = "LAN" })))
        {
        }

        string[] created = [.. _calls.Where(c => c.StartsWith("WintunCreateAdapter", StringComparison.Ordinal))];
        Assert.Equal(2, created.Length);
        Assert.EndsWith($"{WintunSettings.GuidFor("lan")})", created[0], StringComparison.Ordinal);
        Assert.EndsWith($"{WintunSettings.GuidFor("lan")})", created[1], StringComparison.Ordinal);
        Assert.NotEqual(WintunSettings.GuidFor("lan"), WintunSettings.GuidFor("wan"));
    }

    [Fact]
    public void Open_mode_uses_the_existing_adapter_and_leaves_it_in_place()
    {
        _wintun.AddExistingAdapter("Existing");
        using (WintunContainer container = Create(Settings(new() { ["AdapterName"] = "existing", ["Mode"] = "open" })))
        {
            Assert.Single(container.Queues);
            Assert.Contains("WintunOpenAdapter(existing)", _calls);
            Assert.DoesNotContain(_calls, c => c.StartsWith("WintunCreateAdapter", StringComparison.Ordinal));
        }

        Assert.Empty(_wintun.OpenAdapters);
        Assert.Empty(_wintun.Violations);
    }

    [Fact]
    public void Open_mode_without_such_an_adapter_fails_saying_there_is_none()
    {
        var error = Assert.Throws<WintunException>(() => Create(Settings(new() { ["Mode"] = "open" })));
        Assert.Contains("opening Wintun adapter 'wt0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("ERROR_NOT_FOUND (1168)", error.Message, StringComparison.Ordinal);
        Assert.Contains("Mode 'open' uses an existing one", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_session_on_the_same_adapter_is_refused_because_an_adapter_has_one_session()
    {
        using WintunContainer first = Create(Settings());

        var error = Assert.Throws<WintunException>(() => Create(Settings(new() { ["Mode"] = "open" })));

        Assert.Contains("ERROR_ALREADY_INITIALIZED (1247)", error.Message, StringComparison.Ordinal);
        Assert.Contains("one session", error.Message, StringComparison.Ordinal);
        // The failed attempt closed the adapter handle it opened; the first interface is untouched.
        Assert.Single(_wintun.OpenAdapters);
        Assert.Equal(0x800000u, _wintun.SessionCapacity);
        Assert.Empty(_wintun.Violations);
    }

    [Fact]
    public void Creating_an_adapter_without_administrator_rights_says_so()
    {
        _wintun.FailCreateWith = ERROR_ACCESS_DENIED;
        var error = Assert.Throws<WintunException>(() => Create(Settings()));
        Assert.Contains("ERROR_ACCESS_DENIED (5)", error.Message, StringComparison.Ordinal);
        Assert.Contains("administrator", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_adapter_gets_its_MTU_on_both_families_its_addresses_preferred_and_its_routes_on_link_or_via_a_next_hop_all_keyed_by_its_LUID()
    {
        using WintunContainer container = Create(Settings(new()
        {
            ["Mtu"] = "1420",
            ["Addresses:0"] = "10.9.0.1/24",
            ["Addresses:1"] = "fd09::1/64",
            ["Routes:0"] = "10.10.0.0/16",
            ["Routes:1:Destination"] = "fd10::/48",
            ["Routes:1:Via"] = "fd09::2",
            ["Routes:1:Metric"] = "5",
        }));

        Assert.Equal(1420u, _ip.Mtu[AF_INET]);
        Assert.Equal(1420u, _ip.Mtu[AF_INET6]);
        Assert.All(_ip.SetInterfaceRows, r => Assert.Equal(container.Luid, r.InterfaceLuid.Value));
        Assert.Equal(0u, _ip.SetInterfaceRows.Single(r => r.Family == AF_INET).SitePrefixLength);

        Assert.Equal(["10.9.0.1/24", "fd09::1/64"], _ip.CreatedAddressRows.Select(r => $"{RecordingIpHelper.Address(r.Address)}/{r.OnLinkPrefixLength}"));
        Assert.All(_ip.CreatedAddressRows, r =>
        {
            Assert.Equal(container.Luid, r.InterfaceLuid.Value);
            Assert.Equal(NL_DAD_STATE.IpDadStatePreferred, r.DadState);
            Assert.Equal(INFINITE_LIFETIME, r.ValidLifetime);
        });
        Assert.Equal([AF_INET, AF_INET6], _ip.CreatedAddressRows.Select(r => r.Address.si_family));

        Assert.Equal(["10.10.0.0/16 via 0.0.0.0 metric 0", "fd10::/48 via fd09::2 metric 5"], _ip.CreatedRouteRows.Select(r => RecordingIpHelper.RouteText(r)));
        Assert.All(_ip.CreatedRouteRows, r =>
        {
            Assert.Equal(container.Luid, r.InterfaceLuid.Value);
            Assert.Equal(NL_ROUTE_PROTOCOL.RouteProtocolNetMgmt, r.Protocol);
            Assert.Equal(r.DestinationPrefix.Prefix.si_family, r.NextHop.si_family);
        });

        // Session first (the adapter is connected), then MTU, addresses, routes.
        int session = _calls.IndexOf("WintunStartSession(8388608)");
        int mtu = _calls.FindIndex(c => c.StartsWith("SetIpInterfaceEntry", StringComparison.Ordinal));
        int address = _calls.FindIndex(c => c.StartsWith("CreateUnicastIpAddressEntry", StringComparison.Ordinal));
        int route = _calls.FindIndex(c => c.StartsWith("CreateIpForwardEntry2", StringComparison.Ordinal));
        Assert.True(session < mtu && mtu < address && address < route, string.Join('\n', _calls));
    }

    [Fact]
    public void Dispose_removes_the_routes_then_the_addresses_restores_the_MTU_then_ends_the_session_and_closes_the_adapter()
    {
        WintunContainer container = Create(Settings(new()
        {
            ["Mtu"] = "1400",
            ["Addresses:0"] = "10.9.0.1/24",
            ["Routes:0"] = "10.10.0.0/16",
            ["Routes:1"] = "10.11.0.0/16",
        }));
        _calls.Clear();

        container.Dispose();

        Assert.Equal(
        [
            "DeleteIpForwardEntry2(10.11.0.0/16 via 0.0.0.0 metric 0)",
            "DeleteIpForwardEntry2(10.10.0.0/16 via 0.0.0.0 metric 0)",
            "DeleteUnicastIpAddressEntry(10.9.0.1/24)",
            "GetIpInterfaceEntry(IPv6)",
            "SetIpInterfaceEntry(IPv6, NlMtu 1500)",
            "GetIpInterfaceEntry(IPv4)",
            "SetIpInterfaceEntry(IPv4, NlMtu 1500)",
            "WintunEndSession",
            "WintunCloseAdapter",
        ], _calls);
        Assert.Empty(_ip.Addresses);
        Assert.Empty(_ip.Routes);
        Assert.Empty(_wintun.OpenAdapters);
        Assert.Empty(_wintun.Violations);
        container.Dispose();
        Assert.Single(_calls, c => c == "WintunEndSession");
    }

    [Fact]
    public void An_address_or_route_that_already_existed_is_kept_and_not_removed_at_exit()
    {
        _ip.Addresses.Add("10.9.0.1/24");
        _ip.Routes.Add("10.10.0.0/16 via 0.0.0.0 metric 0");
        using (WintunContainer container = Create(Settings(new() { ["Addresses:0"] = "10.9.0.1/24", ["Addresses:1"] = "10.9.1.1/24", ["Routes:0"] = "10.10.0.0/16" })))
        {
            Assert.Equal(1, container.IpConfiguration.AddedAddresses);
            Assert.Equal(0, container.IpConfiguration.AddedRoutes);
        }

        Assert.Equal(["10.9.0.1/24"], _ip.Addresses);
        Assert.Equal(["10.10.0.0/16 via 0.0.0.0 metric 0"], _ip.Routes);
    }

    [Fact]
    public void A_refused_route_fails_creation_naming_it_and_releases_everything_built_so_far()
    {
        _ip.FailRoutesWith = ERROR_INVALID_PARAMETER;

        var error = Assert.Throws<WintunException>(() => Create(Settings(new() { ["Addresses:0"] = "10.9.0.1/24", ["Routes:0"] = "10.10.0.0/16" })));

        Assert.Contains("adding route 10.10.0.0/16 metric 0 to Wintun adapter 'wt0' (CreateIpForwardEntry2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("ERROR_INVALID_PARAMETER (87)", error.Message, StringComparison.Ordinal);
        Assert.Empty(_ip.Addresses);
        Assert.Equal(1500u, _ip.Mtu[AF_INET]);
        Assert.True(_wintun.AllSessionsEnded);
        Assert.Empty(_wintun.OpenAdapters);
        Assert.Empty(_wintun.Violations);
    }

    [Fact]
    public void An_adapter_without_IPv6_gets_only_its_IPv4_MTU()
    {
        _ip.MissingFamilies.Add(AF_INET6);
        using WintunContainer container = Create(Settings(new() { ["Mtu"] = "1300" }));

        Assert.Equal(1300u, _ip.Mtu[AF_INET]);
        Assert.Equal(1500u, _ip.Mtu[AF_INET6]);
        Assert.DoesNotContain(_calls, c => c.StartsWith("SetIpInterfaceEntry(IPv6", StringComparison.Ordinal));
    }

    [Fact]
    public void An_MTU_below_IPv6s_minimum_is_set_for_IPv4_only()
    {
        using WintunContainer container = Create(Settings(new() { ["Mtu"] = "1000" }));
        Assert.Equal(1000u, _ip.Mtu[AF_INET]);
        Assert.Equal(1500u, _ip.Mtu[AF_INET6]);
    }

    [Fact]
    public void Traffic_flows_both_ways_through_the_containers_queue()
    {
        using WintunContainer container = Create(Settings());
        IQueue queue = Assert.Single(container.Queues);
        var batch = new PacketBatch(8);
        Assert.True(_wintun.Inject(TestPackets.Udp4(300, 1)));

        Assert.True(queue.Read(batch));
        Assert.Equal(DropReason.None, queue.Write(batch[0]));

        Assert.Equal(TestPackets.Udp4(300, 1), Assert.Single(_wintun.Delivered));
    }

    [Fact]
    public void Close_wakes_the_reader_and_dispose_after_the_join_ends_the_session()
    {
        using WintunContainer container = Create(Settings());
        IQueue queue = container.Queues[0];
        var batch = new PacketBatch(8);
        var read = new BackgroundCall<bool>(() => queue.Read(batch));
        Assert.True(SpinWait.SpinUntil(() => container.Queue.Waits == 1, TimeSpan.FromSeconds(20)));

        container.Close();
        Assert.False(read.Result());
        container.Dispose();

        Assert.True(_wintun.AllSessionsEnded);
        Assert.Empty(_wintun.Violations);
    }

    [Fact]
    public void Adopting_a_file_descriptor_is_not_supported()
    {
        // A Wintun adapter has one session: the container is no IFileDescriptorAdopter, and the plugin does not list it.
        using WintunContainer container = Create(Settings());
        Assert.IsNotAssignableFrom<IFileDescriptorAdopter>(container);
        Assert.False(new WintunBackendPlugin().Capabilities.HasFlag(BackendCapabilities.AdoptFileDescriptor));
    }
}
