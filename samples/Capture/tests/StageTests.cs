using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Status;

namespace RouterHost.Samples.Capture.Tests;

public sealed class StageTests : IDisposable
{
    private static readonly PortInfo Tun0 = new(PortId.Interface(0), "tun0", [], "LinuxTun");
    private static readonly PortInfo Tun1 = new(PortId.Interface(1), "tun1", [], "LinuxTun");
    private static readonly PortInfo PeerA = new(PortId.Peer(0), "peer-a", [], "wg");
    private readonly string _folder = Directory.CreateTempSubdirectory("capture-stage-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Every_packet_goes_on_unchanged_and_the_file_holds_the_ones_the_filter_keeps()
    {
        Assert.SkipUnless(Tshark.Available, "tshark is not installed (Debian package tshark)");
        long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (IStage stage = Create(new() { ["Protocols:0"] = "udp", ["SnapLength"] = "64" }))
        {
            using IStageWorker worker = stage.CreateWorker(0);
            var batch = new PacketBatch(8);
            byte[] udp = TestPackets.IPv4("10.0.0.1", "10.0.1.1", 17, 200);
            byte[] icmp = TestPackets.IPv4("10.0.0.1", "10.0.1.1", 1, 84);
            byte[] udpCopy = [.. udp];
            Add(batch, udp, Tun0.Id);
            Add(batch, icmp, Tun0.Id);
            Add(batch, TestPackets.IPv4("10.0.1.1", "10.0.0.1", 17, 40), PeerA.Id);
            ref Packet unclaimed = ref batch.Append(new byte[64], 0, 64);
            worker.Process(batch);
            worker.EndBatch();

            Assert.Equal(4, batch.Count);
            foreach (Packet packet in batch.AsSpan())
            {
                Assert.Equal(PacketVerdict.Forward, packet.Verdict);
            }

            Assert.Equal(udpCopy, udp);
            batch.Clear();
            batch.Direction = PacketDirection.Inbound;
            Add(batch, TestPackets.IPv6("fd00::2", "fd00::1", 17, 60), PeerA.Id);
            worker.Process(batch);
            worker.EndBatch();
            Status status = WaitForStatus(stage, s => s.Written == 3);
            Assert.Equal(1, status.FilteredOut);
            Assert.Equal(1, status.Unclaimed);
            Assert.Equal(0, status.Dropped);
        }

        long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        string file = Assert.Single(Directory.GetFiles(_folder));
        Assert.Matches(@"/cap-\d{8}T\d{6}Z-00001\.pcapng$", file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(file));
        List<string[]> rows = Tshark.Fields(file, "frame.time_epoch", "frame.interface_name", "ip.src", "ipv6.src", "frame.len", "frame.cap_len", "frame.packet_flags_direction");
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r =>
        {
            long ms = (long)(decimal.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture) * 1000);
            Assert.InRange(ms, before - 1, after + 1);
        });
        Assert.Equal(["tun0", "10.0.0.1", "", "200", "64", "0x00000002"], rows[0][1..]);
        Assert.Equal(["peer-a", "10.0.1.1", "", "40", "40", "0x00000002"], rows[1][1..]);
        Assert.Equal(["peer-a", "", "fd00::2", "60", "60", "0x00000001"], rows[2][1..]);
    }

    [Fact]
    public void A_port_filter_keeps_packets_entering_or_leaving_through_it()
    {
        using IStage stage = Create(new() { ["Ports:0"] = "tun1" });
        using IStageWorker worker = stage.CreateWorker(0);
        var batch = new PacketBatch(8);
        Add(batch, TestPackets.IPv4("10.0.0.1", "10.0.1.1", 17, 60), Tun0.Id).Egress = Tun1.Id;
        Add(batch, TestPackets.IPv4("10.0.0.1", "10.0.1.1", 17, 60), Tun0.Id).Egress = PeerA.Id;
        Add(batch, TestPackets.IPv4("10.0.1.1", "10.0.0.1", 17, 60), Tun1.Id);
        worker.Process(batch);
        worker.EndBatch();
        Status status = WaitForStatus(stage, s => s.Written == 2);
        Assert.Equal(1, status.FilteredOut);
    }

    [Fact]
    public void A_superpacket_is_captured_as_it_is_not_segmented()
    {
        Assert.SkipUnless(Tshark.Available, "tshark is not installed (Debian package tshark)");
        using (IStage stage = Create([]))
        {
            using IStageWorker worker = stage.CreateWorker(0);
            var batch = new PacketBatch(2);
            ref Packet packet = ref Add(batch, TestPackets.IPv4("10.0.0.1", "10.0.1.1", 6, 9000), Tun0.Id);
            packet.Gso = new GsoInfo { Type = GsoType.TcpV4, SegmentSize = 1448, HeaderLength = 40 };
            worker.Process(batch);
            worker.EndBatch();
            WaitForStatus(stage, s => s.Written == 1);
        }

        List<string[]> rows = Tshark.Fields(Assert.Single(Directory.GetFiles(_folder)), "frame.len", "frame.cap_len", "ip.len");
        Assert.Equal(["9000", "9000", "9000"], Assert.Single(rows));
    }

    [Fact]
    public void A_port_the_router_does_not_have_stops_the_start_naming_its_key_path()
    {
        IStage stage = new CapturePlugin().Create(Context(new() { ["Ports:0"] = "tun0", ["Ports:1"] = "tun9" }));
        var e = Assert.Throws<InvalidOperationException>(() => stage.Start(new TestPorts(Tun0, Tun1, PeerA)));
        Assert.Contains("S:Ports:1: no interface or peer is named 'tun9' (the router's ports: tun0, tun1, peer-a)", e.Message, StringComparison.Ordinal);
        stage.Dispose();
    }

    [Fact]
    public void When_the_writer_cannot_keep_up_packets_are_counted_not_held_up()
    {
        // The smallest buffer: two chunks. One batch larger than both, before the writer can take any.
        using IStage stage = Create(new() { ["BufferBytes"] = "131072" });
        using IStageWorker worker = stage.CreateWorker(0);
        var batch = new PacketBatch(64);
        byte[] packet = TestPackets.IPv4("10.0.0.1", "10.0.1.1", 17, 9000);
        for (int i = 0; i < 64; i++)
        {
            Add(batch, packet, Tun0.Id);
        }

        worker.Process(batch);
        worker.EndBatch();
        Status status = WaitForStatus(stage, s => s.Written + s.Dropped == 64);
        Assert.True(status.Dropped > 0, $"{status.Dropped} dropped");
        Assert.Equal(64, batch.Count);
    }

    private IStage Create(Dictionary<string, string?> values)
    {
        IStage stage = new CapturePlugin().Create(Context(values));
        stage.Start(new TestPorts(Tun0, Tun1, PeerA));
        return stage;
    }

    private StageContext Context(Dictionary<string, string?> values)
    {
        values["Folder"] = _folder;
        values["FileName"] = "cap";
        IConfigurationRoot root = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(kv => new KeyValuePair<string, string?>("S:" + kv.Key, kv.Value)))
            .Build();
        return new StageContext("capture", root.GetSection("S"), NullLoggerFactory.Instance, new TestPorts(Tun0, Tun1, PeerA), 0, 1);
    }

    private static ref Packet Add(PacketBatch batch, byte[] bytes, PortId ingress)
    {
        ref Packet packet = ref batch.Append(bytes, 0, bytes.Length);
        packet.Ingress = ingress;
        return ref packet;
    }

    private static Status WaitForStatus(IStage stage, Func<Status, bool> done)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                ((IStatusReporter)stage).WriteStatus(writer);
            }

            using var json = System.Text.Json.JsonDocument.Parse(buffer.WrittenMemory);
            System.Text.Json.JsonElement e = json.RootElement;
            var status = new Status(
                e.GetProperty("written").GetInt64(),
                e.GetProperty("filtered_out").GetInt64(),
                e.GetProperty("unclaimed_datagrams").GetInt64(),
                e.GetProperty("capture_dropped").GetInt64());
            if (done(status))
            {
                return status;
            }

            Assert.True(DateTime.UtcNow < deadline, $"status never reached the expected state: {System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan)}");
            Thread.Sleep(20);
        }
    }

    private sealed record Status(long Written, long FilteredOut, long Unclaimed, long Dropped);
}
