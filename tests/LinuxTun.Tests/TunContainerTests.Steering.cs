using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Linux;

namespace RouterHost.Plugins.LinuxTun.Tests;

// The flow steering program on a real multi-queue device: flows spread over the queues, each on one, in order.
public sealed partial class TunContainerTests
{
    [Fact]
    public void A_multi_queue_device_spreads_flows_over_its_queues_and_keeps_each_flow_on_one_queue_in_order()
    {
        const int Flows = 16;
        const int PerFlow = 20;
        using var ns = NetworkNamespace.Create("tuns");
        using TunContainer container = Open(ns, ("Queues", "2"), ("Offloads:Enabled", "false"), ("Addresses:0", "10.9.0.1/24"));
        Assert.True(container.FlowSteering, "the kernel refused the steering program (see the log)");

        var seen = new ConcurrentQueue<(int Queue, int Port, int Sequence)>();
        var readers = new List<Thread>();
        for (int q = 0; q < container.Queues.Count; q++)
        {
            IQueue queue = container.Queues[q];
            int index = q;
            var reader = new Thread(() =>
            {
                var batch = new PacketBatch(64);
                while (queue.Read(batch))
                {
                    foreach (ref Packet p in batch.AsSpan())
                    {
                        ReadOnlySpan<byte> data = p.Data;
                        // IPv4, UDP, to our port 9: source port and the sequence number it carries.
                        if (data.Length >= 32 && data[0] == 0x45 && data[9] == 17 && BinaryPrimitives.ReadUInt16BigEndian(data[22..]) == 9)
                        {
                            seen.Enqueue((index, BinaryPrimitives.ReadUInt16BigEndian(data[20..]), BinaryPrimitives.ReadInt32BigEndian(data[28..])));
                        }
                    }

                    batch.Clear();
                }
            })
            { IsBackground = true };
            reader.Start();
            readers.Add(reader);
        }

        NetworkNamespaceThread.Run(ns.Name, () =>
        {
            var sockets = new List<Socket>();
            try
            {
                for (int f = 0; f < Flows; f++)
                {
                    var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    sockets.Add(socket);
                    socket.Bind(new IPEndPoint(IPAddress.Parse("10.9.0.1"), 0));
                    if (f % 2 == 0)
                    {
                        socket.Connect(new IPEndPoint(IPAddress.Parse("10.9.0.2"), 9)); // connected: the socket's flow hash
                    }
                }

                var payload = new byte[4];
                for (int i = 0; i < PerFlow; i++)
                {
                    for (int f = 0; f < Flows; f++)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(payload, i);
                        if (f % 2 == 0)
                        {
                            sockets[f].Send(payload);
                        }
                        else
                        {
                            sockets[f].SendTo(payload, new IPEndPoint(IPAddress.Parse("10.9.0.2"), 9));
                        }
                    }
                }
            }
            finally
            {
                sockets.ForEach(s => s.Dispose());
            }
        });

        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (seen.Count < Flows * PerFlow && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        container.Close();
        readers.ForEach(r => r.Join(TimeSpan.FromSeconds(5)));
        (int Queue, int Port, int Sequence)[] all = [.. seen];
        Assert.Equal(Flows * PerFlow, all.Length);
        var flows = all.GroupBy(s => s.Port).ToList();
        Assert.Equal(Flows, flows.Count);
        foreach (var flow in flows)
        {
            Assert.Single(flow.Select(s => s.Queue).Distinct());
            Assert.Equal(Enumerable.Range(0, PerFlow), flow.Select(s => s.Sequence));
        }

        Assert.Equal(2, all.Select(s => s.Queue).Distinct().Count());
    }
}
