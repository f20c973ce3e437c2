using System.Net;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Underlay.Tests.Support;

namespace RouterHost.Underlay.Tests;

/// <summary>
/// The underlay between two network namespaces joined by a veth pair (a real device with a real MTU, checksum
/// offload and routes), created and removed by each test.
/// </summary>
[NeedsRoot]
public sealed class UdpNamespaceTests
{
    private const int Headroom = 64;
    private const int Tailroom = 32;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Replies_leave_from_the_second_address_of_an_interface_when_the_peer_used_it(bool ipv6)
    {
        Skip();
        using NamespacePair net = TwoNamespaces.Create(ipv6 ? "uds6" : "uds4");
        IPAddress any = ipv6 ? IPAddress.IPv6Any : IPAddress.Any;
        using UdpSocket server = UdpSocket.Open(new UdpSocketOptions(any, 51820) { NetworkNamespace = net.A.Name, Gro = false });
        using UdpSocket client = UdpSocket.Open(new UdpSocketOptions(any) { NetworkNamespace = net.B.Name, Gro = false });
        using var serverQueue = new UdpReceiveQueue(server, 0, 64, Headroom, Tailroom);
        using var clientQueue = new UdpReceiveQueue(client, 0, 64, Headroom, Tailroom);
        var second = UdpEndpoint.Create(IPAddress.Parse(ipv6 ? TwoNamespaces.A6Second : TwoNamespaces.A4Second), 51820);
        var first = UdpEndpoint.Create(IPAddress.Parse(ipv6 ? TwoNamespaces.A6 : TwoNamespaces.A4), 51820);
        var clientAddress = UdpEndpoint.Create(IPAddress.Parse(ipv6 ? TwoNamespaces.B6 : TwoNamespaces.B4), client.LocalEndpoint.Port);
        var drops = new DropTally();

        var toServer = new UdpBatchSender(client, 8);
        Assert.True(toServer.TryAdd(second, Datagrams.Make(0, 500)));
        Assert.Equal(1, toServer.Flush(drops));
        Datagrams.Received request = Assert.Single(Datagrams.Collect(serverQueue, 1));
        Assert.Equal(second, request.Destination);
        Assert.Equal(clientAddress, request.Source);

        var replies = new UdpBatchSender(server, 8);
        Assert.True(replies.TryAdd(request.Source, request.Destination, Datagrams.Make(1, 400)));
        Assert.True(replies.TryAdd(request.Source, Datagrams.Make(2, 400)));
        Assert.Equal(2, replies.Flush(drops));
        Assert.Equal(0, drops.Total);
        List<Datagrams.Received> answers = Datagrams.Collect(clientQueue, 2);
        Assert.Equal([second, first], answers.Select(a => a.Source));
        Assert.Equal([clientAddress, clientAddress], answers.Select(a => a.Destination));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Many_datagrams_cross_the_veth_pair_byte_exact_both_ways_with_GSO_and_GRO(bool ipv6)
    {
        Skip();
        using NamespacePair net = TwoNamespaces.Create(ipv6 ? "udb6" : "udb4");
        IPAddress a = IPAddress.Parse(ipv6 ? TwoNamespaces.A6 : TwoNamespaces.A4);
        IPAddress b = IPAddress.Parse(ipv6 ? TwoNamespaces.B6 : TwoNamespaces.B4);
        using UdpSocket socketA = UdpSocket.Open(new UdpSocketOptions(a) { NetworkNamespace = net.A.Name, Gro = false });
        using UdpSocket socketB = UdpSocket.Open(new UdpSocketOptions(b) { NetworkNamespace = net.B.Name, Gro = true });
        using var queueA = new UdpReceiveQueue(socketA, 0, 64, Headroom, Tailroom);
        using var queueB = new UdpReceiveQueue(socketB, 0, 64, Headroom, Tailroom);
        byte[][] toB = Datagrams.Many(500, i => i % 50 == 49 ? 600 : 1400);
        byte[][] toA = Datagrams.Many(500, i => 1 + ((i * 131) % 1400));

        var senderA = new UdpBatchSender(socketA, 64);
        var senderB = new UdpBatchSender(socketB, 64);
        var drops = new DropTally();
        int sentToB = 0;
        int sentToA = 0;
        var receivedB = new List<Datagrams.Received>();
        var receivedA = new List<Datagrams.Received>();
        // In rounds of one flush each, so neither socket buffer has to hold everything.
        for (int start = 0; start < 500; start += 64)
        {
            for (int i = start; i < Math.Min(start + 64, 500); i++)
            {
                Assert.True(senderA.TryAdd(socketB.LocalEndpoint, toB[i]));
                Assert.True(senderB.TryAdd(socketA.LocalEndpoint, toA[i]));
            }

            int roundB = senderA.Flush(drops);
            int roundA = senderB.Flush(drops);
            sentToB += roundB;
            sentToA += roundA;
            receivedB.AddRange(Datagrams.Collect(queueB, roundB));
            receivedA.AddRange(Datagrams.Collect(queueA, roundA));
        }

        Assert.Equal(0, drops.Total);
        Assert.Equal(500, sentToB);
        Assert.Equal(500, sentToA);
        Assert.True(senderA.GsoMessagesSent > 0);
        // veth hands A's GSO skbs to B whole, and B's GRO socket takes them coalesced.
        Assert.True(queueB.CoalescedDatagrams > 0);
        Assert.Equal(0, queueA.CoalescedDatagrams);
        Assert.Equal(toB, receivedB.Select(r => r.Bytes));
        Assert.Equal(toA, receivedA.Select(r => r.Bytes));
        Assert.All(receivedB, r => Assert.Equal(socketA.LocalEndpoint, r.Source));
        Assert.All(receivedA, r => Assert.Equal(socketB.LocalEndpoint, r.Source));
        Assert.All(receivedB, r => Assert.Equal(socketB.LocalEndpoint, r.Destination));
    }

    [Fact]
    public void A_GSO_run_with_segments_larger_than_the_path_MTU_is_resent_one_by_one_and_GSO_stays_on()
    {
        Skip();
        using NamespacePair net = TwoNamespaces.Create("udmtu");
        net.A.Ip("link", "set", "va", "mtu", "1280").EnsureSuccess();
        using UdpSocket socketA = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(TwoNamespaces.A4)) { NetworkNamespace = net.A.Name });
        using UdpSocket socketB = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(TwoNamespaces.B4)) { NetworkNamespace = net.B.Name, Gro = false });
        using var queueB = new UdpReceiveQueue(socketB, 0, 64, Headroom, Tailroom);
        var sender = new UdpBatchSender(socketA, 64);
        byte[][] datagrams = Datagrams.Many(20, _ => 1400);
        var drops = new DropTally();
        foreach (byte[] d in datagrams)
        {
            Assert.True(sender.TryAdd(socketB.LocalEndpoint, d));
        }

        Assert.Equal(20, sender.Flush(drops));

        Assert.Equal(0, drops.Total);
        Assert.Equal(1, sender.GsoFallbacks);
        Assert.Equal(0, sender.GsoMessagesSent);
        Assert.True(socketA.GsoEnabled);
        // Each 1400-byte datagram leaves in IP fragments and is reassembled at B.
        Assert.Equal(datagrams, Datagrams.Collect(queueB, 20).Select(r => r.Bytes));
    }

    [Fact]
    public unsafe void GSO_through_a_device_without_checksum_offload_delivers_every_datagram()
    {
        Skip();
        using NamespacePair net = TwoNamespaces.Create("udcsum");
        net.A.Run(() => SetTxChecksum("va", on: false));
        Assert.False(net.A.Run(() => GetTxChecksum("va")));
        using UdpSocket socketA = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(TwoNamespaces.A4)) { NetworkNamespace = net.A.Name });
        using UdpSocket socketB = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(TwoNamespaces.B4)) { NetworkNamespace = net.B.Name, Gro = false });
        using var queueB = new UdpReceiveQueue(socketB, 0, 64, Headroom, Tailroom);
        var sender = new UdpBatchSender(socketA, 64);
        byte[][] datagrams = Datagrams.Many(40, _ => 1200);
        var drops = new DropTally();
        foreach (byte[] d in datagrams)
        {
            Assert.True(sender.TryAdd(socketB.LocalEndpoint, d));
        }

        Assert.Equal(40, sender.Flush(drops));

        Assert.Equal(0, drops.Total);
        // Before Linux 6.11 the kernel refuses GSO without checksum offload (EIO) and the sender falls back;
        // since then it segments and checksums in software.
        Assert.True(
            (socketA.GsoEnabled && sender.GsoMessagesSent == 1) || (!socketA.GsoEnabled && sender.GsoFallbacks == 1),
            $"GSO enabled {socketA.GsoEnabled}, GSO messages {sender.GsoMessagesSent}, fallbacks {sender.GsoFallbacks}");
        Assert.Equal(datagrams, Datagrams.Collect(queueB, 40).Select(r => r.Bytes));
    }

    [Fact]
    public void Unreachable_prohibited_and_blackholed_destinations_are_counted_by_reason()
    {
        Skip();
        using NamespacePair net = TwoNamespaces.Create("udrt");
        net.A.Ip("route", "add", "unreachable", "203.0.113.0/24").EnsureSuccess();
        net.A.Ip("route", "add", "prohibit", "198.51.100.0/24").EnsureSuccess();
        net.A.Ip("route", "add", "blackhole", "192.0.2.0/24").EnsureSuccess();
        net.A.Ip("-6", "route", "add", "unreachable", "2001:db8:dead::/48").EnsureSuccess();
        net.A.Ip("-6", "route", "add", "prohibit", "2001:db8:cafe::/48").EnsureSuccess();
        using UdpSocket socketA = UdpSocket.Open(new UdpSocketOptions(IPAddress.IPv6Any) { NetworkNamespace = net.A.Name, V6Only = false });
        using UdpSocket socketB = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(TwoNamespaces.B4)) { NetworkNamespace = net.B.Name, Gro = false });
        using var queueB = new UdpReceiveQueue(socketB, 0, 64, Headroom, Tailroom);
        var sender = new UdpBatchSender(socketA, 64);
        byte[] datagram = Datagrams.Make(0, 200);
        string[] destinations = ["203.0.113.9", "198.51.100.9", "192.0.2.9", "100.64.0.9", "2001:db8:dead::9", "2001:db8:cafe::9", "2001:db8:beef::9"];
        foreach (string destination in destinations)
        {
            Assert.True(sender.TryAdd(UdpEndpoint.Create(IPAddress.Parse(destination), 9), datagram));
        }

        Assert.True(sender.TryAdd(socketB.LocalEndpoint, datagram));
        var drops = new DropTally();

        Assert.Equal(1, sender.Flush(drops));

        Assert.Equal(2, drops[UnderlayDropReasons.SendHostUnreachable]);
        Assert.Equal(2, drops[UnderlayDropReasons.SendProhibited]);
        Assert.Equal(1, drops[UnderlayDropReasons.SendInvalid]);
        Assert.Equal(2, drops[UnderlayDropReasons.SendNetworkUnreachable]);
        Assert.Equal(destinations.Length, drops.Total);
        Assert.Equal(datagram, Assert.Single(Datagrams.Collect(queueB, 1)).Bytes);
    }

    private static void Skip() => Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);

    private static unsafe void SetTxChecksum(string device, bool on) => Ethtool(device, TestInterop.ETHTOOL_STXCSUM, on ? 1u : 0u);

    private static unsafe bool GetTxChecksum(string device) => Ethtool(device, TestInterop.ETHTOOL_GTXCSUM, 0) != 0;

    // The legacy ethtool ioctl on any socket of the namespace; the kernel maps TX checksumming to the device's
    // checksum features (what `ethtool -K dev tx off` does).
    private static unsafe uint Ethtool(string device, uint command, uint data)
    {
        int fd = Interop.Libc.socket(Interop.Libc.AF_INET, Interop.Libc.SOCK_DGRAM | Interop.Libc.SOCK_CLOEXEC, 0);
        Assert.True(fd >= 0, Errno.Describe(Errno.Last));
        using var handle = new SafeFileDescriptor(fd);
        var value = new TestInterop.ethtool_value { cmd = command, data = data };
        var request = default(TestInterop.ifreq);
        System.Text.Encoding.ASCII.GetBytes(device).CopyTo(new Span<byte>(request.ifr_name, 16));
        request.ifr_data = &value;
        Assert.True(Interop.Libc.ioctl(handle, TestInterop.SIOCETHTOOL, &request) == 0, $"SIOCETHTOOL 0x{command:x} on {device}: {Errno.Describe(Errno.Last)}");
        return value.data;
    }
}
