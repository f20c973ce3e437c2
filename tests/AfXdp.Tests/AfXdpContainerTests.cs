using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>Opening and closing an AF_XDP interface on a real veth: what it finds, what it refuses, what it leaves.</summary>
[NeedsRoot]
public sealed class AfXdpContainerTests
{
    private static IContainer Create(NetworkNamespace ns, string json)
    {
        string document = $$"""{ "Interfaces": { "lan": { "Settings": {{json.Replace("@NS", ns.Name, StringComparison.Ordinal)}} } } }""";
        IConfigurationSection section = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(document))).Build().GetSection("Interfaces:lan:Settings");
        var plugin = new AfXdpBackendPlugin();
        Assert.Empty(plugin.Validate(section));
        return plugin.Create(new BackendContext("lan", section, NullLoggerFactory.Instance, 2, 64));
    }

    [Fact]
    public void A_veth_gets_one_queue_per_receive_channel_native_XDP_copy_mode_sockets_and_the_devices_MAC_and_MTU()
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xcont");
        using var veth = VethPair.Create(ns, "v0", ns, "v1");
        using var container = (AfXdpContainer)Create(ns, """{ "Namespace": "@NS", "Device": "v0" }""");

        AfXdpQueue queue = Assert.Single(container.XdpQueues);
        Assert.Equal(0u, queue.QueueId);
        Assert.IsNotAssignableFrom<IGsoWriter>(queue);
        Assert.True(container.NativeXdp);
        Assert.False(queue.Socket.ZeroCopy);      // veth has no zero-copy AF_XDP
        Assert.True(queue.Socket.NeedWakeup);

        // XDP_MAX_TX_SKB_BUDGET (kernel 6.17+): one kick may send the whole TX ring; older kernels keep TX_BATCH_SIZE.
        bool budgetKnown = Environment.OSVersion.Version >= new Version(6, 17);
        Assert.Equal(budgetKnown ? (int)AfXdpSettings.DefaultRingSize : Interop.Xsk.TX_BATCH_SIZE, queue.Socket.TxBudget);
        Assert.Equal(1500, container.Mtu);
        Assert.Equal(veth.FirstMacAddress.ToString().ToLowerInvariant(), Internal.EthernetFrame.Format(container.MacAddress).Replace(":", string.Empty, StringComparison.Ordinal));
        Assert.IsNotAssignableFrom<IFileDescriptorAdopter>(container);
        Assert.Equal(BackendCapabilities.MultiQueue | BackendCapabilities.ZeroCopy, new AfXdpBackendPlugin().Capabilities);
    }

    [Fact]
    public void A_device_MTU_beyond_what_a_frame_carries_is_refused_at_startup_naming_the_limit()
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xmtu");
        using var veth = VethPair.Create(ns, "v0", ns, "v1");
        ns.Ip("link", "set", "v0", "mtu", "3000").EnsureSuccess();

        var failure = Assert.Throws<InvalidOperationException>(() => Create(ns, """{ "Namespace": "@NS", "Device": "v0", "FrameSize": 2048 }"""));

        Assert.Contains("has MTU 3000", failure.Message, StringComparison.Ordinal);
        Assert.Contains("at most an MTU of 1778", failure.Message, StringComparison.Ordinal);
        Assert.False(RoutedXdpNamespaces.HasXdpProgram(ns, "v0"));
    }

    [Fact]
    public void A_missing_device_and_a_queue_the_device_does_not_have_are_refused_clearly_and_leave_nothing_attached()
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xmiss");
        using var veth = VethPair.Create(ns, "v0", ns, "v1");

        var missing = Assert.Throws<InvalidOperationException>(() => Create(ns, """{ "Namespace": "@NS", "Device": "nope0" }"""));
        Assert.Contains("there is no device 'nope0'", missing.Message, StringComparison.Ordinal);

        var queue = Assert.Throws<Linux.LinuxException>(() => Create(ns, """{ "Namespace": "@NS", "Device": "v0", "QueueIds": [ 0, 3 ] }"""));
        Assert.Contains("queue 3", queue.Message, StringComparison.Ordinal);
        Assert.Contains("EINVAL", queue.Message, StringComparison.Ordinal);
        Assert.False(RoutedXdpNamespaces.HasXdpProgram(ns, "v0"));
    }

    [Fact]
    public void A_device_with_two_receive_queues_gets_a_socket_on_each()
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xmq");
        TwoQueueVeth(ns);
        using var container = (AfXdpContainer)Create(ns, """{ "Namespace": "@NS", "Device": "v0" }""");
        Assert.Equal([0u, 1u], container.XdpQueues.Select(q => q.QueueId));
        Assert.Equal([0, 1], container.Queues.Select(q => q.Index));
    }

    [Fact]
    public void A_device_that_already_has_an_XDP_program_is_not_taken_over()
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xbusy");
        TwoQueueVeth(ns);
        using IContainer first = Create(ns, """{ "Namespace": "@NS", "Device": "v0", "QueueIds": [ 0 ] }""");

        // Another queue, so the socket binds: the BPF link is what refuses.
        var failure = Assert.Throws<Linux.LinuxException>(() => Create(ns, """{ "Namespace": "@NS", "Device": "v0", "QueueIds": [ 1 ] }"""));

        Assert.Contains("already has an XDP program attached", failure.Message, StringComparison.Ordinal);
        Assert.Contains("EBUSY", failure.Message, StringComparison.Ordinal);
        Assert.True(RoutedXdpNamespaces.HasXdpProgram(ns, "v0"));   // the first one's program is untouched
    }

    [Fact]
    public void Addresses_an_earlier_run_left_are_adopted_and_removed_at_close_and_an_operators_are_left_alone()
    {
        Requires.NetworkNamespaces();
        using var ns = NetworkNamespace.Create("xaddr");
        using var veth = VethPair.Create(ns, "v0", ns, "v1");
        ns.Run(() =>
        {
            // A killed run's addresses: one the configuration still asks for, one it no longer does.
            using var netlink = new Netlink.RtnetlinkClient();
            int index = netlink.GetLinkIndex("v0");
            netlink.AddAddress(index, System.Net.IPAddress.Parse("10.5.0.1"), 24, protocol: Netlink.RtProtocol.RouterHost);
            netlink.AddAddress(index, System.Net.IPAddress.Parse("10.5.9.1"), 24, protocol: Netlink.RtProtocol.RouterHost);
        });
        ns.Ip("addr", "add", "fd05::1/64", "dev", "v0").EnsureSuccess();    // an operator's, equal to one configured
        ns.Ip("addr", "add", "10.5.0.99/24", "dev", "v0").EnsureSuccess();  // an operator's, in the subnet of RouterHost's

        using (Create(ns, """{ "Namespace": "@NS", "Device": "v0", "Addresses": [ "10.5.0.1/24", "fd05::1/64", "10.5.1.1/24" ] }"""))
        {
            Assert.Equal(["10.5.0.1/24", "10.5.1.1/24"], Marked(ns));
        }

        Assert.Empty(Marked(ns));
        string left = ns.Ip("addr", "show", "dev", "v0").EnsureSuccess().StdOut;
        Assert.Contains("inet 10.5.0.99/24", left, StringComparison.Ordinal);
        Assert.Contains("inet6 fd05::1/64", left, StringComparison.Ordinal);
        Assert.DoesNotContain("10.5.0.1/", left, StringComparison.Ordinal);
        Assert.DoesNotContain("10.5.1.1/", left, StringComparison.Ordinal);
        Assert.DoesNotContain("10.5.9.1/", left, StringComparison.Ordinal);
    }

    private static List<string> Marked(NetworkNamespace ns) => ns.Run(() =>
    {
        using var netlink = new Netlink.RtnetlinkClient();
        return netlink.ListAddresses(netlink.GetLinkIndex("v0")).Where(a => a.Protocol == Netlink.RtProtocol.RouterHost)
            .Select(a => $"{a.Address}/{a.PrefixLength}").Order(StringComparer.Ordinal).ToList();
    });

    private static void TwoQueueVeth(NetworkNamespace ns)
    {
        ns.Ip("link", "add", "v0", "numrxqueues", "2", "numtxqueues", "2", "type", "veth", "peer", "name", "v1", "numrxqueues", "2", "numtxqueues", "2").EnsureSuccess();
        ns.Ip("link", "set", "v1", "up").EnsureSuccess();
    }
}
