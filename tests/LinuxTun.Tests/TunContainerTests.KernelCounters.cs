using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;
using RouterHost.Linux;

namespace RouterHost.Plugins.LinuxTun.Tests;

public sealed partial class TunContainerTests
{
    [Fact]
    public void Packets_the_kernel_dropped_because_nobody_read_the_device_are_in_its_status_and_show_prints_them()
    {
        using var ns = NetworkNamespace.Create("tunk");
        // No IPv6 in the namespace, so the kernel sends nothing of its own (router solicitations, MLD) to the device.
        // (net sysctls follow the writing thread's namespace.)
        NetworkNamespaceThread.Run(ns.Name, () =>
        {
            File.WriteAllText("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
            File.WriteAllText("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
            return 0;
        });
        using TunContainer container = Open(ns, ("TxQueueLength", "16"), ("Addresses:0", "10.9.0.1/24"), ("Offloads:Enabled", "false"));
        JsonElement before = Status(container);
        Assert.Equal("rh0", before.GetProperty("device").GetString());
        Assert.Equal(container.InterfaceIndex, before.GetProperty("ifindex").GetInt32());
        Assert.Equal(16, before.GetProperty("txqueuelen").GetInt32());
        Assert.Equal(0, before.GetProperty("kernel_to_router").GetProperty("dropped").GetInt64());

        // 100 datagrams towards the device while nothing reads it: its queue holds 16, the kernel drops the rest.
        const int Sent = 100;
        NetworkNamespaceThread.Run(ns.Name, () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var to = new IPEndPoint(IPAddress.Parse("10.9.0.2"), 9);
            for (int i = 0; i < Sent; i++)
            {
                socket.SendTo(new byte[100], to);
            }

            return 0;
        });
        long dropped = Status(container).GetProperty("kernel_to_router").GetProperty("dropped").GetInt64();
        Assert.InRange(dropped, 1, Sent - 1);

        // Reading drains exactly what the kernel kept, and the two counts account for every datagram sent.
        long read = 0;
        var batch = new PacketBatch(64);
        var reader = new Thread(() =>
        {
            while (Interlocked.Read(ref read) < Sent - dropped && container.Queues[0].Read(batch))
            {
                Interlocked.Add(ref read, batch.Count);
            }
        })
        { IsBackground = true };
        reader.Start();
        Assert.True(reader.Join(TimeSpan.FromSeconds(10)), $"read {Interlocked.Read(ref read)} of the {Sent - dropped} the kernel kept");
        JsonElement after = Status(container).GetProperty("kernel_to_router");
        Assert.Equal(Sent - dropped, read);
        Assert.Equal(read, after.GetProperty("packets").GetInt64());
        Assert.Equal(dropped, after.GetProperty("dropped").GetInt64());

        // routerhost show prints the backend's status under its interface.
        var document = new MemoryStream();
        using (var writer = new Utf8JsonWriter(document))
        {
            writer.WriteStartObject();
            writer.WriteNumber("pid", 1);
            writer.WriteNumber("uptime_seconds", 1.0);
            writer.WriteStartArray("interfaces");
            writer.WriteStartObject();
            writer.WriteString("name", "tun0");
            writer.WriteString("backend", "LinuxTun");
            writer.WriteNumber("queues", 1);
            foreach (string counter in (string[])["rx_packets", "rx_bytes", "tx_packets", "tx_bytes"])
            {
                writer.WriteNumber(counter, 0);
            }

            writer.WriteStartObject("rx_drops");
            writer.WriteEndObject();
            writer.WriteStartObject("tx_drops");
            writer.WriteEndObject();
            writer.WritePropertyName("status");
            container.WriteStatus(writer);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteStartArray("stages");
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using JsonDocument parsed = JsonDocument.Parse(document.ToArray());
        var text = new StringWriter();
        RouterHost.Cli.ShowCommand.Render(parsed.RootElement, text);
        Assert.Contains("  device: rh0", text.ToString(), StringComparison.Ordinal);
        Assert.Contains($"  kernel to router: packets {read}, bytes {read * 128}, dropped {dropped}, errors 0", text.ToString(), StringComparison.Ordinal);
    }

    private static JsonElement Status(IStatusReporter reporter)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            reporter.WriteStatus(writer);
        }

        return JsonDocument.Parse(stream.ToArray()).RootElement.Clone();
    }
}
