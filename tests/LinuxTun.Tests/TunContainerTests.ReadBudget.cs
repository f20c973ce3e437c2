using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Linux;

namespace RouterHost.Plugins.LinuxTun.Tests;

// The read budget on a real device: a read stops once it holds TunQueue.ReadBudgetBytes, the rest comes with the next.
public sealed partial class TunContainerTests
{
    [Fact]
    public void A_read_stops_at_its_byte_budget_and_the_next_reads_take_the_rest_in_order()
    {
        const int Count = 400;
        const int Payload = 1372; // a 1400-byte IP packet
        using var ns = NetworkNamespace.Create("tunb");
        IConfigurationSection section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["S:Namespace"] = ns.Name,
            ["S:DeviceName"] = "rh0",
            ["S:Queues"] = "1",
            ["S:Offloads:Enabled"] = "false",
            ["S:Addresses:0"] = "10.9.0.1/24",
        }).Build().GetSection("S");
        var problems = new List<ConfigurationProblem>();
        TunSettings parsed = TunSettings.Parse(section, "tun0", 1, problems);
        Assert.Empty(problems);
        // Batches of up to 1024 packets: only the budget can end a read of these 400 early.
        using TunContainer container = TunContainer.Create("tun0", parsed, 1024, NullLoggerFactory.Instance);

        NetworkNamespaceThread.Run(ns.Name, () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse("10.9.0.1"), 0));
            socket.Connect(new IPEndPoint(IPAddress.Parse("10.9.0.2"), 9));
            var payload = new byte[Payload];
            for (int i = 0; i < Count; i++)
            {
                BinaryPrimitives.WriteInt32BigEndian(payload, i);
                socket.Send(payload);
            }
        });

        IQueue queue = container.Queues[0];
        var batch = new PacketBatch(1024);
        var sizes = new List<int>();
        var sequences = new List<int>();
        while (sequences.Count < Count && queue.Read(batch))
        {
            long bytes = 0;
            int ours = 0;
            foreach (ref Packet p in batch.AsSpan())
            {
                ReadOnlySpan<byte> data = p.Data;
                bytes += p.Length;
                if (data.Length == Payload + 28 && data[9] == 17 && BinaryPrimitives.ReadUInt16BigEndian(data[22..]) == 9)
                {
                    sequences.Add(BinaryPrimitives.ReadInt32BigEndian(data[28..]));
                    ours++;
                }
            }

            Assert.True(bytes < TunQueue.ReadBudgetBytes + TunQueue.MaxPacket, $"a read took {bytes} bytes");
            sizes.Add(ours);
            batch.Clear();
        }

        Assert.Equal(Enumerable.Range(0, Count), sequences);
        // Each packet takes a 1536-byte slot (headroom, packet, tailroom, aligned): the budget ends a read at 171.
        int slot = (TunQueue.Headroom + 1400 + TunQueue.Tailroom + 63) & ~63;
        int cap = (TunQueue.ReadBudgetBytes + slot - 1) / slot;
        Assert.True(sizes.Max() <= cap, $"a read took {sizes.Max()} packets (budget: {cap})");
        Assert.Equal(cap, sizes[0]);
    }
}
