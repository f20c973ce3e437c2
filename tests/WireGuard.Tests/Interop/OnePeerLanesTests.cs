using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.WireGuard.Tests.Support;
using static RouterHost.WireGuard.Tests.Support.TunnelNamespaces;

namespace RouterHost.WireGuard.Tests.Interop;

/// <summary>
/// One peer over several lanes: two RouterHost nodes with 2 TUN queues and 2 sockets each; the TUN's flow steering
/// spreads several flows to the one peer over both lanes, and every flow keeps its order.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[NeedsRoot]
public sealed class OnePeerLanesTests
{
    private const int PortA = 51830;
    private const int PortB = 51831;
    private const int UdpFlows = 16; // with the 4 TCP streams, 20 flows: all on one queue by chance once in 500 000 runs
    private const int Datagrams = 2000;

    [Fact]
    public void Flows_to_one_peer_use_both_lanes_and_each_arrives_in_order_and_byte_exact()
    {
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
        using NamespacePair net = TunnelNamespaces.Create("rhl");
        using var keysA = new KeyPair();
        using var keysB = new KeyPair();
        using RouterHostNode b = RouterHostNode.Start(TwoSockets(RouterHostTunnelTests.NodeConfig(net.B, keysB, PortB, keysA, "a", null, null, sideA: false)));
        using RouterHostNode a = RouterHostNode.Start(TwoSockets(RouterHostTunnelTests.NodeConfig(net.A, keysA, PortA, keysB, "b", Endpoint(sideA: false, false, PortB), null, sideA: true)));
        Assert.True(PingUntilAnswered(net.A, OverlayB4).Succeeded, a.Describe());

        // Four TCP streams A → B at once: byte-exact (TCP would hide reordering, the UDP flows below do not).
        const long Bytes = 32L << 20;
        var streams = Enumerable.Range(0, 4).Select(i => BulkTransfer.Start(net.A, net.B, OverlayB4, 5131 + i, Bytes, seed: 40 + i)).ToList();

        // Sixteen UDP flows A → B at the same time, each numbering its datagrams: a receiver counts any that arrives
        // after a later one of its flow (losses are allowed; reordering within a flow is not).
        Socket[] receivers = net.B.Run(() => Enumerable.Range(0, UdpFlows).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveBufferSize = 4 << 20 };
            s.Bind(new IPEndPoint(OverlayB4, 0));
            return s;
        }).ToArray());
        var received = new int[UdpFlows];
        var reordered = new int[UdpFlows];
        Thread[] readers = Enumerable.Range(0, UdpFlows).Select(f => new Thread(() =>
        {
            var buffer = new byte[64];
            int last = -1;
            receivers[f].ReceiveTimeout = 3000;
            try
            {
                while (true)
                {
                    int n = receivers[f].Receive(buffer);
                    int sequence = BinaryPrimitives.ReadInt32BigEndian(buffer);
                    if (n >= 4 && sequence <= last)
                    {
                        reordered[f]++;
                    }

                    last = Math.Max(last, sequence);
                    received[f]++;
                }
            }
            catch (SocketException)
            {
                // quiet for 3 s: the flow is over
            }
        })
        { IsBackground = true }).ToArray();
        Array.ForEach(readers, r => r.Start());
        net.A.Run(() =>
        {
            Socket[] senders = receivers.Select(r =>
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                s.Connect(r.LocalEndPoint!);
                return s;
            }).ToArray();
            var payload = new byte[200];
            for (int i = 0; i < Datagrams; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload, i);
                foreach (Socket s in senders)
                {
                    s.Send(payload);
                }

                if (i % 100 == 99)
                {
                    Thread.Sleep(1); // paced a little: mostly delivered
                }
            }

            Array.ForEach(senders, s => s.Dispose());
            return 0;
        });

        foreach (BulkTransfer stream in streams)
        {
            stream.AssertCompletes(TimeSpan.FromMinutes(3), () => $"--- A:\n{a.Describe()}\n--- B:\n{b.Describe()}");
            stream.Dispose();
        }

        Array.ForEach(readers, r => r.Join(TimeSpan.FromSeconds(30)));
        Array.ForEach(receivers, r => r.Dispose());
        Assert.All(received, n => Assert.True(n > 0, $"a UDP flow delivered nothing: [{string.Join(", ", received)}]\n{a.Describe()}"));
        Assert.Equal(new int[UdpFlows], reordered);

        // The flows were spread: both of A's TUN queues read (and so both of its lanes encrypted) traffic for the peer.
        var queues = a.Runner.Metrics.SnapshotQueues().Where(q => q.Interface == "tun").ToList();
        Assert.Equal(2, queues.Count);
        Assert.All(queues, q => Assert.True(q.ReceivedPackets > 1000, a.Describe()));
        Assert.Null(a.Fault);
        Assert.Null(b.Fault);
    }

    private static string TwoSockets(string config) => config.Replace("\"Sockets\": 1", "\"Sockets\": 2", StringComparison.Ordinal);
}
