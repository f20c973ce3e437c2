using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>Two RouterHost nodes, each in its own namespace, tunnelling to each other over a veth pair.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class RouterHostTunnelTests
{
    private const int PortA = 51820;
    private const int PortB = 51821;

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Two_nodes_handshake_ping_both_ways_and_carry_200_MB_each_way_byte_exact(bool ipv6, bool withPsk)
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("rhh");
        using var keysA = new KeyPair();
        using var keysB = new KeyPair();
        string? psk = withPsk ? KeyPair.NewPresharedKey() : null;
        var logA = new CapturedLog();
        var logB = new CapturedLog();
        using RouterHostNode b = RouterHostNode.Start(NodeConfig(net.B, keysB, PortB, keysA, "a", null, psk, sideA: false), logB);
        using RouterHostNode a = RouterHostNode.Start(NodeConfig(net.A, keysA, PortA, keysB, "b", Endpoint(sideA: false, ipv6, PortB), psk, sideA: true), logA);

        ExecResult ping = Ping(net.A, ipv6 ? OverlayB6 : OverlayB4);
        Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n--- A:\n{a.Describe()}\n{logA.Text}\n--- B:\n{b.Describe()}\n{logB.Text}");
        Assert.True(Ping(net.B, OverlayA4).Succeeded);
        Assert.True(Ping(net.B, OverlayA6).Succeeded);
        Assert.True(Ping(net.A, OverlayB4).Succeeded);
        Assert.Equal(withPsk, a.Tunnel.Peers[0].Identity.HasPresharedKey);

        const long Bytes = 200L << 20;
        using var outward = BulkTransfer.Start(net.A, net.B, ipv6 ? OverlayB6 : OverlayB4, 5101, Bytes, seed: 11);
        using var inward = BulkTransfer.Start(net.B, net.A, ipv6 ? OverlayA6 : OverlayA4, 5102, Bytes, seed: 12);
        outward.AssertCompletes(TimeSpan.FromMinutes(3), () => $"--- A:\n{a.Describe()}\n--- B:\n{b.Describe()}");
        inward.AssertCompletes(TimeSpan.FromMinutes(3), () => $"--- A:\n{a.Describe()}\n--- B:\n{b.Describe()}");
        Assert.Null(a.Fault);
        Assert.Null(b.Fault);
    }

    [Fact]
    public void With_offloads_on_1_GB_each_way_at_once_arrives_byte_exact_as_superpackets_GSO_and_GRO()
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("rhg");
        using var keysA = new KeyPair();
        using var keysB = new KeyPair();
        using RouterHostNode b = RouterHostNode.Start(NodeConfig(net.B, keysB, PortB, keysA, "a", null, null, sideA: false));
        using RouterHostNode a = RouterHostNode.Start(NodeConfig(net.A, keysA, PortA, keysB, "b", Endpoint(sideA: false, false, PortB), null, sideA: true));
        Assert.True(Ping(net.A, OverlayB4).Succeeded, a.Describe());

        const long Bytes = 1L << 30;
        using var outward = BulkTransfer.Start(net.A, net.B, OverlayB4, 5111, Bytes, seed: 31);
        using var inward = BulkTransfer.Start(net.B, net.A, OverlayA4, 5112, Bytes, seed: 32);
        outward.AssertCompletes(TimeSpan.FromMinutes(5), () => $"--- A:\n{a.Describe()}\n--- B:\n{b.Describe()}");
        inward.AssertCompletes(TimeSpan.FromMinutes(5), () => $"--- A:\n{a.Describe()}\n--- B:\n{b.Describe()}");

        // The offloads did the work: equal-size datagrams left as UDP GSO messages and arrived as GRO-coalesced reads,
        // so far fewer system calls than datagrams on both sides.
        foreach (RouterHostNode node in (RouterHostNode[])[a, b])
        {
            WireGuard.Stage.WireGuardCounters c = node.Tunnel.Sum();
            (long reads, long coalesced, long delivered) = node.Tunnel.ReceiveTotals();
            Assert.True(c.UdpGsoMessagesSent > 0 && c.UdpMessagesSent * 2 < c.UdpDatagramsSent, node.Describe());
            Assert.True(coalesced > 0 && reads * 2 < delivered, node.Describe());
        }

        Assert.Null(a.Fault);
        Assert.Null(b.Fault);
    }

    [Fact]
    public void A_node_restarted_mid_transfer_is_reconnected_without_restarting_the_other()
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("rhr");
        using var keysA = new KeyPair();
        using var keysB = new KeyPair();
        var logA = new CapturedLog();
        using RouterHostNode a = RouterHostNode.Start(NodeConfig(net.A, keysA, PortA, keysB, "b", Endpoint(sideA: false, false, PortB), null, sideA: true), logA);
        RouterHostNode b = RouterHostNode.Start(NodeConfig(net.B, keysB, PortB, keysA, "a", Endpoint(sideA: true, false, PortA), null, sideA: false));
        try
        {
            using var transfer = BulkTransfer.Start(net.A, net.B, OverlayB4, 5103, 300L << 20, seed: 13);
            Assert.True(transfer.WaitForReceived(40L << 20, TimeSpan.FromMinutes(1)), a.Describe());
            b.Dispose();
            Thread.Sleep(500);
            b = RouterHostNode.Start(NodeConfig(net.B, keysB, PortB, keysA, "a", Endpoint(sideA: true, false, PortA), null, sideA: false));
            transfer.AssertCompletes(TimeSpan.FromMinutes(3), () => $"--- A:\n{a.Describe()}\n{logA.Text}\n--- B:\n{b.Describe()}");
            Assert.Null(a.Fault);
        }
        finally
        {
            b.Dispose();
        }
    }

    [Fact]
    public void When_the_other_node_comes_back_on_another_port_the_first_follows_it()
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("rhm");
        using var keysA = new KeyPair();
        using var keysB = new KeyPair();
        using RouterHostNode a = RouterHostNode.Start(NodeConfig(net.A, keysA, PortA, keysB, "b", Endpoint(sideA: false, true, PortB), null, sideA: true));
        RouterHostNode b = RouterHostNode.Start(NodeConfig(net.B, keysB, PortB, keysA, "a", Endpoint(sideA: true, true, PortA), null, sideA: false));
        try
        {
            Assert.True(Ping(net.A, OverlayB6).Succeeded, a.Describe());
            b.Dispose();
            b = RouterHostNode.Start(NodeConfig(net.B, keysB, PortB + 7, keysA, "a", Endpoint(sideA: true, true, PortA), null, sideA: false));
            ExecResult ping = Ping(net.B, OverlayA6);
            Assert.True(ping.Succeeded, $"{ping.StdOut}{ping.StdErr}\n{a.Describe()}\n{b.Describe()}");
            Assert.Equal(Endpoint(sideA: false, true, PortB + 7), a.Tunnel.Peers[0].Endpoint?.Remote.ToString());
            Assert.True(Ping(net.A, OverlayB6).Succeeded, a.Describe());
        }
        finally
        {
            b.Dispose();
        }
    }

    internal static string NodeConfig(NetworkNamespace ns, KeyPair own, int port, KeyPair other, string otherName, string? endpoint, string? psk, bool sideA)
    {
        string pskLine = psk is null ? string.Empty : $"\"PresharedKeyFile\": \"{own.WriteSecret("peer.psk", psk)}\",";
        string endpointLine = endpoint is null ? string.Empty : $"\"Endpoint\": \"{endpoint}\",";
        string[] otherOverlay = sideA ? ["10.88.0.2/32", "fd88::2/128"] : ["10.88.0.1/32", "fd88::1/128"];
        string settings = $$"""
            {
              "PrivateKeyFile": "{{own.PrivateKeyFile}}", "ListenPort": {{port}}, "Sockets": 1, "Namespace": "@NS",
              "Peers": { "{{otherName}}": { "PublicKey": "{{other.PublicKey}}", {{pskLine}} {{endpointLine}} "AllowedIPs": [ "{{otherOverlay[0]}}", "{{otherOverlay[1]}}" ] } }
            }
            """;
        return RouterHostNode.Config(ns, sideA ? ["10.88.0.1/24", "fd88::1/64"] : ["10.88.0.2/24", "fd88::2/64"], settings);
    }
}
