using System.Globalization;
using RouterHost.Samples.Capture.Pcapng;

namespace RouterHost.Samples.Capture.Tests;

public sealed class CaptureFilesTests : IDisposable
{
    private static readonly DateTimeOffset Started = new(2026, 12, 6, 15, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("capture-files-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Tshark_reads_every_packet_with_its_interface_addresses_lengths_time_and_direction()
    {
        Assert.SkipUnless(Tshark.Available, "tshark is not installed (Debian package tshark)");
        long t0 = 1_765_000_000_000_000_000;
        using (CaptureFiles files = Create(snap: 100, maxBytes: 0, maxFiles: 0))
        {
            files.Write(1, t0, TestPackets.IPv4("10.0.0.1", "10.0.1.1", 1, 84), 84, CaptureDirection.Outbound);
            byte[] big = TestPackets.IPv4("10.0.1.1", "10.0.0.1", 17, 1400);
            files.Write(2, t0 + 1_500, big.AsSpan(0, 100), 1400, CaptureDirection.Inbound);
            files.Write(1, t0 + 2_000_000_001, TestPackets.IPv6("fd00::1", "fd00::2", 58, 61), 61, CaptureDirection.Outbound);
            Assert.Equal(1, files.FilesStarted);
        }

        string path = Path.Combine(_folder, "cap-20261206T150000Z-00001.pcapng");
        List<string[]> rows = Tshark.Fields(path, "frame.time_epoch", "frame.interface_name", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "frame.len", "frame.cap_len", "frame.packet_flags_direction");
        Assert.Equal(3, rows.Count);
        Assert.Equal(["1765000000.000000000", "tun0", "10.0.0.1", "10.0.1.1", "", "", "84", "84", "0x00000002"], rows[0]);
        Assert.Equal(["1765000000.000001500", "peer-b", "10.0.1.1", "10.0.0.1", "", "", "1400", "100", "0x00000001"], rows[1]);
        Assert.Equal(["1765000002.000000001", "tun0", "", "", "fd00::1", "fd00::2", "61", "61", "0x00000002"], rows[2]);
    }

    [Fact]
    public void Rotation_starts_a_new_file_before_one_would_pass_the_size_and_together_they_hold_every_packet()
    {
        Assert.SkipUnless(Tshark.Available, "tshark is not installed (Debian package tshark)");
        const int MaxBytes = 1024;
        using (CaptureFiles files = Create(snap: 65535, maxBytes: MaxBytes, maxFiles: 0))
        {
            for (int i = 0; i < 40; i++)
            {
                byte[] packet = TestPackets.IPv4("10.0.0.1", string.Create(CultureInfo.InvariantCulture, $"10.0.1.{i}"), 17, 60 + (i * 7 % 90));
                files.Write((uint)(1 + (i % 2)), 1_765_000_000_000_000_000 + i, packet, packet.Length, CaptureDirection.Outbound);
            }
        }

        string[] paths = Directory.GetFiles(_folder).Order(StringComparer.Ordinal).ToArray();
        Assert.True(paths.Length > 3, $"{paths.Length} files");
        var destinations = new List<string>();
        for (int i = 0; i < paths.Length; i++)
        {
            Assert.Equal(Path.Combine(_folder, string.Create(CultureInfo.InvariantCulture, $"cap-20261206T150000Z-{i + 1:D5}.pcapng")), paths[i]);
            Assert.True(new FileInfo(paths[i]).Length <= MaxBytes, $"{paths[i]} has {new FileInfo(paths[i]).Length} bytes");
            List<string[]> rows = Tshark.Fields(paths[i], "frame.interface_name", "ip.dst");
            Assert.NotEmpty(rows);
            destinations.AddRange(rows.Select(r => r[1]));
            Assert.All(rows, r => Assert.Contains(r[0], (string[])["tun0", "peer-b"]));
        }

        Assert.Equal(Enumerable.Range(0, 40).Select(i => string.Create(CultureInfo.InvariantCulture, $"10.0.1.{i}")), destinations);
    }

    [Fact]
    public void A_packet_larger_than_the_rotation_size_gets_a_file_of_its_own()
    {
        using (CaptureFiles files = Create(snap: 65535, maxBytes: 1024, maxFiles: 0))
        {
            files.Write(1, 1, TestPackets.IPv4("10.0.0.1", "10.0.0.2", 17, 100), 100, CaptureDirection.Outbound);
            files.Write(1, 2, TestPackets.IPv4("10.0.0.1", "10.0.0.2", 17, 1400), 1400, CaptureDirection.Outbound);
            files.Write(1, 3, TestPackets.IPv4("10.0.0.1", "10.0.0.2", 17, 100), 100, CaptureDirection.Outbound);
            Assert.Equal(3, files.FilesStarted);
        }

        if (Tshark.Available)
        {
            string[] paths = Directory.GetFiles(_folder).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal([1, 1, 1], paths.Select(p => Tshark.Fields(p, "frame.len").Count));
        }
    }

    [Fact]
    public void Max_files_keeps_only_the_newest_files_of_the_run()
    {
        using CaptureFiles files = Create(snap: 65535, maxBytes: 1024, maxFiles: 2);
        for (int i = 0; i < 5; i++)
        {
            files.Write(1, i, TestPackets.IPv4("10.0.0.1", "10.0.0.2", 17, 900), 900, CaptureDirection.Outbound);
        }

        files.Flush();
        Assert.Equal(5, files.FilesStarted);
        Assert.Equal([files.PathOf(4), files.PathOf(5)], Directory.GetFiles(_folder).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Files_are_created_only_new_never_over_an_existing_file()
    {
        using CaptureFiles files = Create(snap: 65535, maxBytes: 0, maxFiles: 0);
        File.WriteAllText(files.PathOf(1), "someone else's");
        Assert.Throws<IOException>(() => files.Write(1, 1, TestPackets.IPv4("10.0.0.1", "10.0.0.2", 17, 100), 100, CaptureDirection.Outbound));
        Assert.Equal("someone else's", File.ReadAllText(files.PathOf(1)));
    }

    private CaptureFiles Create(int snap, long maxBytes, int maxFiles) =>
        new(
            new CaptureFileOptions(_folder, "cap", snap, maxBytes, maxFiles),
            Started,
            path => new FileStream(path, FileMode.CreateNew, FileAccess.Write),
            port => port == 1 ? new PortLabel("tun0", "interface") : new PortLabel("peer-b", null));
}
