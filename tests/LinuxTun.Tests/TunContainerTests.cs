using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Linux;

namespace RouterHost.Plugins.LinuxTun.Tests;

/// <summary>The TUN container on a real device in a network namespace the test owns.</summary>
[NeedsRoot]
public sealed partial class TunContainerTests
{
    internal static TunContainer Open(NetworkNamespace ns, params (string Key, string Value)[] settings)
    {
        var data = new Dictionary<string, string?> { ["S:Namespace"] = ns.Name, ["S:DeviceName"] = "rh0" };
        foreach (var (k, v) in settings)
        {
            data[$"S:{k}"] = v;
        }

        IConfigurationSection section = new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("S");
        var problems = new List<ConfigurationProblem>();
        TunSettings parsed = TunSettings.Parse(section, "tun0", 1, problems);
        Assert.Empty(problems);
        return TunContainer.Create("tun0", parsed, 64, NullLoggerFactory.Instance);
    }

    [Fact]
    public void The_device_is_configured_and_disappears_with_its_last_queue()
    {
        using var ns = NetworkNamespace.Create("tunc");
        using (TunContainer container = Open(ns, ("Queues", "2"), ("Mtu", "1400"), ("TxQueueLength", "2000"), ("Addresses:0", "10.9.0.1/24"), ("Routes:0", "10.8.0.0/16")))
        {
            string link = ns.Ip("-d", "link", "show", "rh0").EnsureSuccess().StdOut;
            Assert.Contains("mtu 1400", link, StringComparison.Ordinal);
            Assert.Contains("qlen 2000", link, StringComparison.Ordinal);
            Assert.Contains("multi_queue numqueues 2", link, StringComparison.Ordinal);
            Assert.Contains("vnet_hdr on", link, StringComparison.Ordinal);
            Assert.Contains("UP", link, StringComparison.Ordinal);
            Assert.Contains("10.9.0.1/24", ns.Ip("addr", "show", "rh0").StdOut, StringComparison.Ordinal);
            Assert.Contains("10.8.0.0/16 dev rh0", ns.Ip("route").StdOut, StringComparison.Ordinal);
            Assert.Equal(2, container.Queues.Count);
        }

        Assert.NotEqual(0, ns.Ip("link", "show", "rh0").ExitCode);
    }

    [Fact]
    public void A_persistent_device_stays_without_what_this_run_added()
    {
        using var ns = NetworkNamespace.Create("tunp");
        using (Open(ns, ("Persist", "true"), ("Addresses:0", "10.9.0.1/24"), ("Routes:0", "10.8.0.0/16")))
        {
            Assert.Contains("persist on", ns.Ip("-d", "link", "show", "rh0").StdOut, StringComparison.Ordinal);
        }

        Assert.Equal(0, ns.Ip("link", "show", "rh0").ExitCode);
        Assert.DoesNotContain("10.9.0.1", ns.Ip("addr", "show", "rh0").StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("10.8.0.0", ns.Ip("route").StdOut, StringComparison.Ordinal);

        // Reopening the persistent device works and finds it as it was left.
        using (TunContainer again = Open(ns, ("Persist", "true")))
        {
            Assert.Equal("rh0", again.DeviceName);
        }

        ns.Ip("link", "delete", "rh0").EnsureSuccess();
    }

    [Fact]
    public void Another_fd_of_the_same_device_is_adopted_as_a_queue_and_a_foreign_fd_is_refused()
    {
        using var ns = NetworkNamespace.Create("tunf");
        using TunContainer container = Open(ns, ("Queues", "2"));
        SafeFileDescriptor extra = NetworkNamespaceThread.Run(ns.Name, () => TunDevice.OpenQueue("rh0", vnetHeader: true, multiQueue: true, out _));

        IQueue adopted = container.Adopt(extra);

        Assert.Equal(2, adopted.Index);
        Assert.Equal(3, container.Queues.Count);
        Assert.Contains("numqueues 3", ns.Ip("-d", "link", "show", "rh0").StdOut, StringComparison.Ordinal);

        using var notTun = new EventFd();
        var ex = Assert.Throws<LinuxException>(() => container.Adopt(new SafeFileDescriptor(Dup(notTun.Handle))));
        Assert.Contains("TUNGETIFF", ex.Message, StringComparison.Ordinal);

        SafeFileDescriptor plain = NetworkNamespaceThread.Run(ns.Name, () => TunDevice.OpenQueue("rh1", vnetHeader: false, multiQueue: false, out _));
        var mismatch = Assert.Throws<InvalidOperationException>(() => container.Adopt(plain));
        Assert.Contains("expected a TUN fd of 'rh0'", mismatch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reader_blocked_on_an_idle_device_wakes_and_ends_when_the_queue_is_closed()
    {
        using var ns = NetworkNamespace.Create("tunr");
        using TunContainer container = Open(ns);
        IQueue queue = container.Queues[0];
        var batch = new PacketBatch(64);
        // The kernel sends a few packets when the link comes up (router solicitations, MLD); the reader takes
        // them and then blocks in poll until Close wakes it.
        int reads = 0;
        var reader = new Thread(() =>
        {
            while (queue.Read(batch))
            {
                reads++;
            }
        })
        { IsBackground = true };
        reader.Start();
        Thread.Sleep(300);
        Assert.True(reader.IsAlive, "the reader loop ended before Close");

        container.Close();

        Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "the blocked Read did not wake on Close");
        Assert.False(queue.Read(batch));
    }

    [Fact]
    public void A_superpacket_the_device_cannot_take_is_a_counted_drop_not_an_exception()
    {
        using var ns = NetworkNamespace.Create("tunw");
        using TunContainer container = Open(ns, ("Offloads:Gro", "false"));
        IQueue queue = container.Queues[0];
        var packet = default(Packet);
        packet.Buffer = new byte[200];
        packet.Offset = 64;
        packet.Length = 100;
        packet.Gso = new GsoInfo { Type = GsoType.TcpV4, SegmentSize = 10, HeaderLength = 40, ChecksumStart = 20, ChecksumOffset = 16, NeedsChecksum = false };

        DropReason result = queue.Write(in packet);

        Assert.Equal(TunDropReasons.WriteInvalid, result);
        var drops = new DropTally();
        queue.Flush(drops);
        Assert.Equal(0, drops.Total);
    }

    [Fact]
    public void The_queues_take_exactly_the_superpackets_their_offloads_allow_and_refuse_the_others_as_counted_drops()
    {
        using var ns = NetworkNamespace.Create("tung");
        Assert.True(new LinuxTunBackendPlugin().Capabilities.HasFlag(BackendCapabilities.Gso));
        Assert.True(new LinuxTunBackendPlugin().Capabilities.HasFlag(BackendCapabilities.AdoptFileDescriptor));

        // Every offload (this kernel negotiates USO): TSO and USO superpackets go to the device as they are.
        using (TunContainer all = Open(ns))
        {
            Assert.IsAssignableFrom<IFileDescriptorAdopter>(all);
            var writer = Assert.IsAssignableFrom<IGsoWriter>(all.Queues[0]);
            Assert.True(all.Offloads.Uso, $"USO was not negotiated ({all.Offloads})");
            Assert.True(writer.AcceptsGso(GsoType.TcpV4));
            Assert.True(writer.AcceptsGso(GsoType.TcpV6));
            Assert.True(writer.AcceptsGso(GsoType.UdpL4));
            Assert.False(writer.AcceptsGso(GsoType.None));
        }

        // TSO but not USO: a USO superpacket is refused before the kernel sees it, on both write paths.
        using (TunContainer tsoOnly = Open(ns, ("Offloads:Uso", "false"), ("Offloads:Gro", "false")))
        {
            var writer = (IGsoWriter)tsoOnly.Queues[0];
            Assert.True(writer.AcceptsGso(GsoType.TcpV4));
            Assert.True(writer.AcceptsGso(GsoType.TcpV6));
            Assert.False(writer.AcceptsGso(GsoType.UdpL4));
            Packet uso = Superpacket(GsoType.UdpL4);
            Assert.Equal(TunDropReasons.GsoDisabled, writer.Write(in uso));
            Assert.Equal(TunDropReasons.GsoDisabled, tsoOnly.Queues[0].WriteFromSelf(in uso));
        }

        // A plain TUN takes no superpacket at all.
        using (TunContainer plain = Open(ns, ("Offloads:Enabled", "false")))
        {
            var writer = (IGsoWriter)plain.Queues[0];
            foreach (GsoType type in Enum.GetValues<GsoType>())
            {
                Assert.False(writer.AcceptsGso(type), type.ToString());
            }

            Packet tso = Superpacket(GsoType.TcpV4);
            Assert.Equal(TunDropReasons.GsoDisabled, writer.Write(in tso));
            Assert.Equal(TunDropReasons.GsoDisabled, plain.Queues[0].WriteFromSelf(in tso));
        }
    }

    private static Packet Superpacket(GsoType type)
    {
        var packet = default(Packet);
        packet.Buffer = new byte[200];
        packet.Offset = 64;
        packet.Length = 100;
        packet.Gso = new GsoInfo { Type = type, SegmentSize = 10, HeaderLength = 28, ChecksumStart = 20, ChecksumOffset = 6, NeedsChecksum = true };
        return packet;
    }

    [Fact]
    public void Opening_in_a_namespace_that_does_not_exist_says_so()
    {
        var data = new Dictionary<string, string?> { ["S:Namespace"] = "rh-missing-namespace" };
        IConfigurationSection section = new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("S");
        TunSettings parsed = TunSettings.Parse(section, "tun0", 1, []);

        var ex = Assert.Throws<LinuxException>(() => TunContainer.Create("tun0", parsed, 64, NullLoggerFactory.Instance));
        Assert.Contains("'rh-missing-namespace'", ex.Message, StringComparison.Ordinal);
    }

    private static int Dup(SafeFileDescriptor fd) => dup(fd.Fd);

    [System.Runtime.InteropServices.LibraryImport("libc", SetLastError = true)]
    private static partial int dup(int fd);
}
