using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Linux;
using RouterHost.Underlay.Tests.Support;

namespace RouterHost.Underlay.Tests;

/// <summary>
/// A group of sockets on one port that only this process receives on (<see cref="UdpSocket.OpenGroup(UdpSocketOptions, int, Microsoft.Extensions.Logging.ILogger)"/>): the kernel
/// still spreads flows over the group and keeps each flow on one socket, a port someone holds is refused with who holds
/// it, and a socket that joins the group later receives nothing. Each test has its own network namespace.
/// </summary>
[NeedsRoot]
public sealed class UdpSocketGroupTests
{
    private const int Flows = 64;
    private const int DatagramsPerFlow = 4;

    [Theory]
    [InlineData("127.0.0.1", true, 4)]
    [InlineData("::1", true, 3)]
    [InlineData("0.0.0.0", true, 2)]
    [InlineData("::", false, 4)] // dual stack: IPv4 datagrams arrive on an IPv6 socket, and are steered all the same
    public void The_group_spreads_flows_over_its_sockets_and_keeps_each_flow_on_one(string address, bool v6Only, int count)
    {
        Skip();
        using var ns = NetworkNamespace.Create("ugspread");
        UdpSocket[] group = Open(ns, address, 0, count, v6Only);
        try
        {
            Assert.All(group, s => Assert.Equal(group[0].LocalEndpoint, s.LocalEndpoint));
            IPAddress target = v6Only ? Loopback(address) : IPAddress.Loopback;
            Send(ns, target, group[0].LocalEndpoint.Port);
            List<int>[] received = Collect(group, Flows * DatagramsPerFlow);

            Assert.Equal(Flows * DatagramsPerFlow, received.Sum(r => r.Count));
            Assert.All(received, r => Assert.NotEmpty(r));
            var socketOfFlow = new Dictionary<int, int>();
            for (int socket = 0; socket < received.Length; socket++)
            {
                foreach (int sourcePort in received[socket])
                {
                    Assert.Equal(socket, socketOfFlow.GetValueOrDefault(sourcePort, socket));
                    socketOfFlow[sourcePort] = socket;
                }
            }

            Assert.Equal(Flows, socketOfFlow.Count);
        }
        finally
        {
            Dispose(group);
        }
    }

    [Theory]
    [InlineData("127.0.0.1", 4)]
    [InlineData("::", 2)]
    public void A_socket_of_the_same_user_that_joins_the_group_later_receives_nothing(string address, int count)
    {
        Skip();
        using var ns = NetworkNamespace.Create("ugjoin");
        UdpSocket[] group = Open(ns, address, 0, count, v6Only: true);
        try
        {
            ushort port = group[0].LocalEndpoint.Port;
            using UdpSocket joiner = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(address), port) { ReusePort = true, Gro = false, NetworkNamespace = ns.Name });

            Send(ns, Loopback(address), port);
            List<int>[] received = Collect([.. group, joiner], Flows * DatagramsPerFlow);
            Assert.Empty(received[^1]);
            Assert.Equal(Flows * DatagramsPerFlow, received[..^1].Sum(r => r.Count));
        }
        finally
        {
            Dispose(group);
        }
    }

    [Fact]
    public void Without_the_groups_program_a_joiner_would_take_a_share_which_is_what_the_program_prevents()
    {
        // The control for the test above: plain SO_REUSEPORT sockets let the kernel hash flows to a latecomer too.
        Skip();
        using var ns = NetworkNamespace.Create("ugctrl");
        var options = new UdpSocketOptions(IPAddress.Loopback) { ReusePort = true, Gro = false, NetworkNamespace = ns.Name };
        using UdpSocket first = UdpSocket.Open(options);
        using UdpSocket second = UdpSocket.Open(options with { Port = first.LocalEndpoint.Port });
        using UdpSocket joiner = UdpSocket.Open(options with { Port = first.LocalEndpoint.Port });
        Send(ns, IPAddress.Loopback, first.LocalEndpoint.Port);
        Assert.NotEmpty(Collect([first, second, joiner], Flows * DatagramsPerFlow)[^1]);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(4, false)]
    [InlineData(4, true)]
    public void A_port_another_socket_holds_is_refused_naming_the_port_the_process_and_how_to_see_it(int count, bool holderReusesPort)
    {
        Skip();
        using var ns = NetworkNamespace.Create("ugheld");
        using UdpSocket holder = UdpSocket.Open(new UdpSocketOptions(IPAddress.Any) { ReusePort = holderReusesPort, Gro = false, NetworkNamespace = ns.Name });
        ushort port = holder.LocalEndpoint.Port;

        var error = Assert.Throws<LinuxException>(() => UdpSocket.OpenGroup(new UdpSocketOptions(IPAddress.Loopback, port) { NetworkNamespace = ns.Name }, count, NullLogger.Instance));

        Assert.Equal(Errno.EADDRINUSE, error.ErrorNumber);
        Assert.StartsWith($"bind(127.0.0.1:{port}) failed: EADDRINUSE (98)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"process {Environment.ProcessId} (", error.Message, StringComparison.Ordinal);
        Assert.Contains($"holds UDP port {port} in network namespace '{ns.Name}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"ip netns exec {ns.Name} ss -ulpn 'sport = :{port}'", error.Message, StringComparison.Ordinal);
        Assert.Single(ns.Run(Internal.UdpSocketTable.Read), e => e.Local.Port == port); // nothing of the group was left bound
    }

    [Fact]
    public void A_socket_that_slips_onto_the_port_between_the_probe_and_the_binds_is_found_and_the_group_is_not_opened()
    {
        Skip();
        using var ns = NetworkNamespace.Create("ugrace");
        UdpSocket? intruder = null;
        try
        {
            var error = Assert.Throws<LinuxException>(() => UdpSocket.OpenGroup(
                new UdpSocketOptions(IPAddress.Loopback) { NetworkNamespace = ns.Name },
                3,
                NullLogger.Instance,
                afterProbe: bind => intruder = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback, bind.Port) { ReusePort = true, Gro = false })));

            Assert.NotNull(intruder);
            Assert.Equal(Errno.EADDRINUSE, error.ErrorNumber);
            Assert.Contains($"process {Environment.ProcessId} (", error.Message, StringComparison.Ordinal);
            Assert.Single(ns.Run(Internal.UdpSocketTable.Read), e => e.Local.Port == intruder.LocalEndpoint.Port);
        }
        finally
        {
            intruder?.Dispose();
        }
    }

    [Fact]
    public void Port_0_gives_the_whole_group_one_free_port()
    {
        Skip();
        using var ns = NetworkNamespace.Create("ugport");
        UdpSocket[] group = Open(ns, "127.0.0.1", 0, 3, v6Only: true);
        try
        {
            Assert.NotEqual(0, group[0].LocalEndpoint.Port);
            Assert.All(group, s => Assert.Equal(group[0].LocalEndpoint, s.LocalEndpoint));
            Assert.Equal(3, ns.Run(Internal.UdpSocketTable.Read).Count(e => e.Local.Port == group[0].LocalEndpoint.Port));
        }
        finally
        {
            Dispose(group);
        }
    }

    [Fact]
    public void An_IPv4_and_an_IPv6_only_group_share_a_port_number_as_a_router_listening_on_both_does()
    {
        Skip();
        using var ns = NetworkNamespace.Create("ugboth");
        UdpSocket[] v4 = Open(ns, "0.0.0.0", 0, 2, v6Only: true);
        try
        {
            UdpSocket[] v6 = Open(ns, "::", v4[0].LocalEndpoint.Port, 2, v6Only: true);
            Dispose(v6);
        }
        finally
        {
            Dispose(v4);
        }
    }

    private static UdpSocket[] Open(NetworkNamespace ns, string address, ushort port, int count, bool v6Only) =>
        UdpSocket.OpenGroup(new UdpSocketOptions(IPAddress.Parse(address), port) { Gro = false, V6Only = v6Only, NetworkNamespace = ns.Name }, count, NullLogger.Instance);

    private static IPAddress Loopback(string address) => IPAddress.Parse(address).AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;

    // Flows datagrams from as many sockets (one source port each), all queued before anything is read.
    private static void Send(NetworkNamespace ns, IPAddress target, ushort port)
    {
        Socket[] senders = ns.Run(() => Enumerable.Range(0, Flows).Select(_ =>
        {
            var s = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(target, 0));
            return s;
        }).ToArray());
        try
        {
            for (int round = 0; round < DatagramsPerFlow; round++)
            {
                for (int i = 0; i < senders.Length; i++)
                {
                    senders[i].SendTo(Datagrams.Make(i, 64), new IPEndPoint(target, port));
                }
            }
        }
        finally
        {
            foreach (Socket s in senders)
            {
                s.Dispose();
            }
        }
    }

    // The source ports of what each socket receives, until `expected` datagrams arrived in all (or 20 s passed).
    private static List<int>[] Collect(IReadOnlyList<UdpSocket> sockets, int expected)
    {
        UdpReceiveQueue[] queues = [.. sockets.Select((s, i) => new UdpReceiveQueue(s, i, 64, 0, 0))];
        List<int>[] ports = [.. sockets.Select(_ => new List<int>())];
        try
        {
            var batch = new PacketBatch(64);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            while (ports.Sum(p => p.Count) < expected && watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                for (int i = 0; i < queues.Length; i++)
                {
                    while (Poll(sockets[i], 0))
                    {
                        Assert.True(queues[i].Read(batch));
                        for (int j = 0; j < batch.Count; j++)
                        {
                            ports[i].Add(queues[i].Source(batch[j].SourceSlot).Port);
                        }
                    }
                }

                _ = Poll(sockets[0], 10);
            }

            return ports;
        }
        finally
        {
            foreach (UdpReceiveQueue queue in queues)
            {
                queue.Dispose();
            }
        }
    }

    private static unsafe bool Poll(UdpSocket socket, int milliseconds)
    {
        var fd = new Interop.Libc.pollfd { fd = socket.Handle.Fd, events = Interop.Libc.POLLIN };
        return Interop.Libc.poll(&fd, 1, milliseconds) > 0;
    }

    private static void Dispose(UdpSocket[] group)
    {
        foreach (UdpSocket socket in group)
        {
            socket.Dispose();
        }
    }

    private static void Skip() => Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
}
