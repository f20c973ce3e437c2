using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Underlay.Tests.Support;

namespace RouterHost.Underlay.Tests;

/// <summary>The sender and the receive queue on real sockets over loopback.</summary>
public sealed class UdpLoopbackTests
{
    private const int Headroom = 64;
    private const int Tailroom = 32;

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "127.0.0.1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("::1", "::1", false)]
    public void Many_datagrams_sent_in_batches_arrive_byte_exact_with_their_endpoints(string from, string to, bool gso)
    {
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(to)) { Gro = false });
        using UdpSocket sender = UdpSocket.Open(new UdpSocketOptions(IPAddress.Parse(from)) { Gso = gso });
        using var queue = new UdpReceiveQueue(receiver, 0, 64, Headroom, Tailroom);
        byte[][] datagrams = Datagrams.Many(1000, i => 1 + ((i * 37) % 1472));

        int sent = SendAll(new UdpBatchSender(sender, 64), receiver.LocalEndpoint, datagrams, out DropTally drops);

        Assert.Equal(datagrams.Length, sent);
        Assert.Equal(0, drops.Total);
        List<Datagrams.Received> received = Datagrams.Collect(queue, datagrams.Length);
        Assert.Equal(datagrams.Length, received.Count);
        for (int i = 0; i < datagrams.Length; i++)
        {
            Assert.Equal(datagrams[i], received[i].Bytes);
            Assert.Equal(sender.LocalEndpoint, received[i].Source);
            Assert.Equal(receiver.LocalEndpoint, received[i].Destination);
            Assert.Equal(Headroom, received[i].Headroom);
            Assert.Equal(Tailroom, received[i].Tailroom);
        }
    }

    [Fact]
    public void A_datagram_that_waited_in_the_receive_buffer_has_a_sojourn_at_least_that_long()
    {
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        using UdpSocket sender = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gso = false });
        using var queue = new UdpReceiveQueue(receiver, 0, 64, Headroom, Tailroom);
        Assert.True(queue.Timestamps, "the kernel refused SO_TIMESTAMPNS");
        var batchSender = new UdpBatchSender(sender, 8);
        Assert.True(batchSender.TryAdd(receiver.LocalEndpoint, Datagrams.Make(1, 200)));
        var drops = new DropTally();
        batchSender.Flush(drops);
        Assert.Equal(0, drops.Total);

        // The datagram is in the receive buffer before the wait starts (loopback delivers within sendmmsg): it waits at least as long.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        Thread.Sleep(30);
        long atLeastNs = waited.ElapsedTicks * (1_000_000_000L / System.Diagnostics.Stopwatch.Frequency);
        var batch = new PacketBatch(64);
        Assert.True(queue.Read(batch));
        Assert.Equal(1, batch.Count);
        long sojourn = queue.SojournNs(batch[0].SourceSlot);
        Assert.True(sojourn >= atLeastNs - 1_000_000, $"sojourn {sojourn} ns, waited at least {atLeastNs} ns");
        Assert.True(queue.MaxSojournNs >= sojourn);
    }

    [Fact]
    public void A_dual_stack_socket_sees_IPv4_peers_as_IPv4_endpoints_and_answers_them()
    {
        using UdpSocket dual = UdpSocket.Open(new UdpSocketOptions(IPAddress.IPv6Any) { V6Only = false, Gro = false });
        using UdpSocket v4 = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        using UdpSocket v6 = UdpSocket.Open(new UdpSocketOptions(IPAddress.IPv6Loopback) { Gro = false });
        using var dualQueue = new UdpReceiveQueue(dual, 0, 64, Headroom, Tailroom);
        using var v4Queue = new UdpReceiveQueue(v4, 0, 64, Headroom, Tailroom);
        using var v6Queue = new UdpReceiveQueue(v6, 0, 64, Headroom, Tailroom);
        byte[] hello = Datagrams.Make(1, 300);
        var drops = new DropTally();

        var toDual4 = UdpEndpoint.Create(IPAddress.Loopback, dual.LocalEndpoint.Port);
        var toDual6 = UdpEndpoint.Create(IPAddress.IPv6Loopback, dual.LocalEndpoint.Port);
        var fromV4 = new UdpBatchSender(v4, 8);
        var fromV6 = new UdpBatchSender(v6, 8);
        Assert.True(fromV4.TryAdd(toDual4, hello));
        Assert.True(fromV6.TryAdd(toDual6, hello));
        Assert.Equal(1, fromV4.Flush(drops));
        Assert.Equal(1, fromV6.Flush(drops));

        List<Datagrams.Received> arrived = Datagrams.Collect(dualQueue, 2);
        Assert.Equal(2, arrived.Count);
        Datagrams.Received viaV4 = arrived.Single(r => r.Source.IsIPv4);
        Datagrams.Received viaV6 = arrived.Single(r => r.Source.IsIPv6);
        Assert.Equal(v4.LocalEndpoint, viaV4.Source);
        Assert.Equal(toDual4, viaV4.Destination);
        Assert.Equal(v6.LocalEndpoint, viaV6.Source);
        Assert.Equal(toDual6, viaV6.Destination);

        // Answer each from the address it came to: IPv4 leaves a dual-stack socket v4-mapped.
        var answers = new UdpBatchSender(dual, 8);
        byte[] reply = Datagrams.Make(2, 200);
        Assert.True(answers.TryAdd(viaV4.Source, viaV4.Destination, reply));
        Assert.True(answers.TryAdd(viaV6.Source, viaV6.Destination, reply));
        Assert.Equal(2, answers.Flush(drops));
        Assert.Equal(0, drops.Total);
        Datagrams.Received back4 = Assert.Single(Datagrams.Collect(v4Queue, 1));
        Datagrams.Received back6 = Assert.Single(Datagrams.Collect(v6Queue, 1));
        Assert.Equal(toDual4, back4.Source);
        Assert.Equal(toDual6, back6.Source);
        Assert.Equal(reply, back4.Bytes);
    }

    [Fact]
    public void Replies_leave_from_the_local_address_the_datagram_came_to()
    {
        // Every 127/8 address is local on lo: 127.0.0.2 is a second address of the same interface.
        using UdpSocket server = UdpSocket.Open(new UdpSocketOptions(IPAddress.Any) { Gro = false });
        using var queue = new UdpReceiveQueue(server, 0, 64, Headroom, Tailroom);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.SendTo(Datagrams.Make(0, 64), new IPEndPoint(IPAddress.Parse("127.0.0.2"), server.LocalEndpoint.Port));

        Datagrams.Received request = Assert.Single(Datagrams.Collect(queue, 1));
        Assert.Equal(UdpEndpoint.Create(IPAddress.Parse("127.0.0.2"), server.LocalEndpoint.Port), request.Destination);
        Assert.Equal(UdpEndpoint.Create((IPEndPoint)client.LocalEndPoint!), request.Source);

        var sender = new UdpBatchSender(server, 8);
        var drops = new DropTally();
        Assert.True(sender.TryAdd(request.Source, request.Destination, Datagrams.Make(1, 10)));
        Assert.True(sender.TryAdd(request.Source, Datagrams.Make(2, 10)));
        Assert.Equal(2, sender.Flush(drops));
        Assert.Equal(IPAddress.Parse("127.0.0.2"), ReceiveFrom(client, out _).Address);
        Assert.Equal(IPAddress.Loopback, ReceiveFrom(client, out _).Address);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void A_UDP_SEGMENT_send_arrives_as_separate_datagrams_at_a_plain_socket(string address)
    {
        IPAddress ip = IPAddress.Parse(address);
        using var plain = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        plain.Bind(new IPEndPoint(ip, 0));
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(ip));
        var sender = new UdpBatchSender(socket, 64);
        byte[][] datagrams = [.. Datagrams.Many(40, _ => 1200), Datagrams.Make(40, 700)];
        var destination = UdpEndpoint.Create((IPEndPoint)plain.LocalEndPoint!);

        Assert.Equal(datagrams.Length, SendAll(sender, destination, datagrams, out DropTally drops));

        Assert.Equal(0, drops.Total);
        Assert.Equal(1, sender.MessagesSent);
        Assert.Equal(1, sender.GsoMessagesSent);
        foreach (byte[] expected in datagrams)
        {
            Assert.Equal(expected, ReceiveFrom(plain, out int _).ToArray(expected.Length, plain));
        }
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void A_GSO_send_arrives_coalesced_at_a_GRO_socket_and_is_split_back_exactly(string address)
    {
        IPAddress ip = IPAddress.Parse(address);
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(ip) { Gro = true });
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(ip) { Gso = true });
        using var queue = new UdpReceiveQueue(receiver, 0, 64, Headroom, Tailroom);
        var sender = new UdpBatchSender(socket, 64);
        byte[][] datagrams = [.. Datagrams.Many(40, _ => 1200), Datagrams.Make(40, 700)];

        Assert.Equal(datagrams.Length, SendAll(sender, receiver.LocalEndpoint, datagrams, out _));
        Assert.Equal(1, sender.GsoMessagesSent);

        List<Datagrams.Received> received = Datagrams.Collect(queue, datagrams.Length);
        Assert.Equal(datagrams.Length, received.Count);
        // Loopback hands the GSO skb to a GRO socket whole: one read, split here.
        Assert.Equal(1, queue.DatagramsReceived);
        Assert.Equal(1, queue.CoalescedDatagrams);
        for (int i = 0; i < datagrams.Length; i++)
        {
            Assert.Equal(datagrams[i], received[i].Bytes);
            Assert.Equal(received[0].SourceSlot, received[i].SourceSlot);
            Assert.Equal(socket.LocalEndpoint, received[i].Source);
            Assert.Equal(receiver.LocalEndpoint, received[i].Destination);
            Assert.Equal(i == 0 ? Headroom : 0, received[i].Headroom);
            Assert.Equal(i == datagrams.Length - 1 ? Tailroom : 0, received[i].Tailroom);
        }
    }

    [Fact]
    public void Segments_that_do_not_fit_the_batch_arrive_with_the_next_reads_from_the_same_slots()
    {
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = true });
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        using var queue = new UdpReceiveQueue(receiver, 0, 8, Headroom, Tailroom);
        var sender = new UdpBatchSender(socket, 64);
        byte[][] run = Datagrams.Many(41, _ => 1000);
        byte[] single = Datagrams.Make(99, 1500);
        var drops = new DropTally();
        foreach (byte[] d in run)
        {
            Assert.True(sender.TryAdd(receiver.LocalEndpoint, d));
        }

        Assert.True(sender.TryAdd(receiver.LocalEndpoint, single));
        Assert.Equal(42, sender.Flush(drops));
        Assert.Equal(2, sender.MessagesSent);

        var batch = new PacketBatch(16);
        var counts = new List<int>();
        var bytes = new List<byte[]>();
        while (bytes.Count < 42)
        {
            List<Datagrams.Received> part = Datagrams.Collect(queue, 1, batch);
            counts.Add(batch.Count);
            bytes.AddRange(part.Select(p => p.Bytes));
        }

        Assert.Equal([16, 16, 10], counts);
        Assert.Equal([.. run, single], bytes);
    }

    [Fact]
    public void Datagrams_larger_than_the_slot_are_dropped_as_truncated_and_empty_ones_as_empty()
    {
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        using var queue = new UdpReceiveQueue(receiver, 0, 64, Headroom, Tailroom, maxDatagramBytes: 100);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        IPEndPoint to = receiver.LocalEndpoint.ToIPEndPoint();
        client.SendTo(Datagrams.Make(0, 100), to);
        client.SendTo(Datagrams.Make(1, 101), to);
        client.SendTo(Datagrams.Make(2, 65000), to);
        client.SendTo([], to);
        client.SendTo(Datagrams.Make(4, 1), to);

        var drops = new DropTally();
        List<Datagrams.Received> received = Datagrams.Collect(queue, 2, drops: drops);

        Assert.Equal([Datagrams.Make(0, 100), Datagrams.Make(4, 1)], received.Select(r => r.Bytes));
        Assert.Equal(2, drops[UnderlayDropReasons.Truncated]);
        Assert.Equal(1, drops[UnderlayDropReasons.Empty]);
        Assert.Equal(3, drops.Total);
    }

    [Fact]
    public void Close_wakes_a_read_blocked_on_an_empty_socket()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        var queue = new UdpReceiveQueue(socket, 0, 64, Headroom, Tailroom);
        bool? result = null;
        int tid = 0;
        var reader = new Thread(() =>
        {
            Volatile.Write(ref tid, TestInterop.gettid());
            result = queue.Read(new PacketBatch(64));
        });
        reader.Start();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref tid) != 0 && IsBlockedInPoll(Volatile.Read(ref tid)), TimeSpan.FromSeconds(20)), "the reader never blocked in poll");

        queue.Close();

        Assert.True(reader.Join(TimeSpan.FromSeconds(20)), "Close did not wake the reader");
        Assert.False(result);
        Assert.False(queue.Read(new PacketBatch(4)));
        queue.Dispose();
        queue.Dispose();
        Assert.False(socket.Handle.IsClosed);
    }

    [Fact]
    public void Wake_ends_a_blocked_read_once_with_an_empty_batch_and_the_queue_reads_on()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        using var queue = new UdpReceiveQueue(socket, 0, 64, Headroom, Tailroom);
        var batch = new PacketBatch(64);
        bool? result = null;
        int tid = 0;
        var reader = new Thread(() =>
        {
            Volatile.Write(ref tid, TestInterop.gettid());
            result = queue.Read(batch);
        });
        reader.Start();
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref tid) != 0 && IsBlockedInPoll(Volatile.Read(ref tid)), TimeSpan.FromSeconds(20)), "the reader never blocked in poll");

        queue.Wake();

        Assert.True(reader.Join(TimeSpan.FromSeconds(20)), "Wake did not wake the reader");
        Assert.True(result);
        Assert.Equal(0, batch.Count);

        // The wake is spent: the next read waits for a datagram again, and gets it.
        using UdpSocket sender = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        var send = new UdpBatchSender(sender, 4);
        Assert.True(send.TryAdd(socket.LocalEndpoint, Datagrams.Make(1, 40)));
        send.Flush(new DropTally());
        Assert.True(queue.Read(batch));
        Assert.Equal(1, batch.Count);
        Assert.Equal(40, batch[0].Length);

        // A wake asked for before the read is served by it; a close after it still ends reading.
        queue.Wake();
        Assert.True(queue.Read(batch));
        Assert.Equal(0, batch.Count);
        queue.Close();
        Assert.False(queue.Read(batch));
    }

    [Fact]
    public void Errors_on_destinations_the_kernel_refuses_are_counted_not_thrown()
    {
        using UdpSocket v6Only = UdpSocket.Open(new UdpSocketOptions(IPAddress.IPv6Loopback));
        using UdpSocket v4 = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        using UdpSocket target = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        byte[] small = Datagrams.Make(0, 100);
        byte[] huge = Datagrams.Make(1, 70_000);
        var drops = new DropTally();

        var fromV6 = new UdpBatchSender(v6Only, 8);
        Assert.True(fromV6.TryAdd(UdpEndpoint.Create(IPAddress.Loopback, 9), small));
        Assert.Equal(0, fromV6.Flush(drops));
        Assert.Equal(1, drops[UnderlayDropReasons.SendNetworkUnreachable]);

        var fromV4 = new UdpBatchSender(v4, 8);
        Assert.True(fromV4.TryAdd(UdpEndpoint.Create(IPAddress.IPv6Loopback, 9), small));
        Assert.True(fromV4.TryAdd(UdpEndpoint.None, small));
        Assert.True(fromV4.TryAdd(target.LocalEndpoint, huge));
        Assert.True(fromV4.TryAdd(UdpEndpoint.Create(IPAddress.Loopback, 0), small));
        Assert.True(fromV4.TryAdd(target.LocalEndpoint, small));
        Assert.Equal(5, fromV4.Pending);
        Assert.Equal(1, fromV4.Flush(drops));
        Assert.Equal(0, fromV4.Pending);
        Assert.Equal(1, drops[UnderlayDropReasons.SendAddressFamily]);
        Assert.Equal(1, drops[UnderlayDropReasons.SendNoDestination]);
        Assert.Equal(1, drops[UnderlayDropReasons.SendTooLarge]);
        Assert.Equal(1, drops[UnderlayDropReasons.SendInvalid]);
        Assert.Equal(5, drops.Total);
    }

    [Theory]
    [InlineData("127.0.0.1", "192.0.2.77")]
    [InlineData("::1", "2001:db8::77")]
    public void A_source_address_that_is_not_local_falls_back_to_the_kernels_choice(string local, string notLocal)
    {
        IPAddress ip = IPAddress.Parse(local);
        using var peer = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        peer.Bind(new IPEndPoint(ip, 0));
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(ip.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any));
        var sender = new UdpBatchSender(socket, 8);
        var gone = UdpEndpoint.Create(IPAddress.Parse(notLocal), 0);
        var drops = new DropTally();
        Assert.True(sender.TryAdd(UdpEndpoint.Create((IPEndPoint)peer.LocalEndPoint!), gone, Datagrams.Make(0, 100)));

        Assert.Equal(1, sender.Flush(drops));

        Assert.Equal(0, drops.Total);
        Assert.Equal(1, sender.SourceFallbacks);
        Assert.Equal(ip, ReceiveFrom(peer, out _).Address);
    }

    [Fact]
    public void GSO_runs_end_at_a_new_destination_a_shorter_datagram_64_segments_or_64_KiB()
    {
        using var a = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000, ReceiveBufferSize = 4 << 20 };
        using var b = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000, ReceiveBufferSize = 4 << 20 };
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var toA = UdpEndpoint.Create((IPEndPoint)a.LocalEndPoint!);
        var toB = UdpEndpoint.Create((IPEndPoint)b.LocalEndPoint!);
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        var sender = new UdpBatchSender(socket, 256);
        var drops = new DropTally();
        var expectedA = new List<byte[]>();
        var expectedB = new List<byte[]>();
        void Add(UdpEndpoint to, int length)
        {
            byte[] d = Datagrams.Make(expectedA.Count + expectedB.Count, length);
            (to == toA ? expectedA : expectedB).Add(d);
            Assert.True(sender.TryAdd(to, d));
        }

        // Message 1: three of 1000 and a shorter 500 that closes the run; message 2: 1000 after it.
        Add(toA, 1000); Add(toA, 1000); Add(toA, 1000); Add(toA, 500); Add(toA, 1000);
        // Message 3: another destination; message 4: back to A, a longer datagram cannot join a run of shorter ones.
        Add(toB, 1000); Add(toA, 800); Add(toA, 900);
        // Messages 5, 6, 7: 65 equal datagrams are 64 + 1; message 8..: 60 of 1400 exceed 65507 bytes after 46.
        for (int i = 0; i < 65; i++)
        {
            Add(toB, 100);
        }

        for (int i = 0; i < 60; i++)
        {
            Add(toA, 1400);
        }

        int total = expectedA.Count + expectedB.Count;
        Assert.Equal(total, sender.Flush(drops));
        Assert.Equal(0, drops.Total);
        Assert.Equal(9, sender.MessagesSent);
        Assert.Equal(total, sender.DatagramsSent);
        foreach (byte[] expected in expectedA)
        {
            Assert.Equal(expected, ReceiveFrom(a, out _).ToArray(expected.Length, a));
        }

        foreach (byte[] expected in expectedB)
        {
            Assert.Equal(expected, ReceiveFrom(b, out _).ToArray(expected.Length, b));
        }
    }

    [Fact]
    public void A_full_sender_refuses_more_until_it_is_flushed()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        var sender = new UdpBatchSender(socket, 3);
        byte[] d = Datagrams.Make(0, 10);
        Assert.True(sender.TryAdd(socket.LocalEndpoint, d));
        Assert.True(sender.TryAdd(socket.LocalEndpoint, d));
        Assert.True(sender.TryAdd(socket.LocalEndpoint, d));
        Assert.False(sender.TryAdd(socket.LocalEndpoint, d));
        Assert.Equal(3, sender.Pending);
        Assert.Equal(3, sender.Flush(new DropTally()));
        Assert.Equal(0, sender.Pending);
        Assert.True(sender.TryAdd(socket.LocalEndpoint, d));
        Assert.Equal(0, new UdpBatchSender(socket, 1).Flush(new DropTally()));
    }

    [Fact]
    public void A_receive_queue_is_a_source_not_an_egress()
    {
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        using var queue = new UdpReceiveQueue(socket, 3, 4, 0, 0);
        Assert.Equal(3, queue.Index);
        Assert.IsAssignableFrom<IPacketReader>(queue);
        Assert.False(typeof(IPacketWriter).IsAssignableFrom(typeof(UdpReceiveQueue)), "a stage's source only reads; what the stage sends leaves by its own sender");
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpReceiveQueue(socket, 0, 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new UdpReceiveQueue(socket, 0, 4, 0, 0, 65536));
    }

    [Fact]
    public void Sending_and_receiving_allocate_nothing_in_steady_state()
    {
        using UdpSocket receiver = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = true });
        using UdpSocket socket = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        using var queue = new UdpReceiveQueue(receiver, 0, 64, Headroom, Tailroom);
        var sender = new UdpBatchSender(socket, 64);
        var batch = new PacketBatch(64);
        var drops = new DropTally();
        byte[][] datagrams = Datagrams.Many(64, i => i < 32 ? 1200 : 1 + i);
        UdpEndpoint destination = receiver.LocalEndpoint;

        long Round()
        {
            long bytes = 0;
            foreach (byte[] d in datagrams)
            {
                sender.TryAdd(destination, d);
            }

            sender.Flush(drops);
            int packets = 0;
            while (packets < datagrams.Length && queue.Read(batch))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    ref Packet p = ref batch[i];
                    bytes += p.Length + queue.Source(p.SourceSlot).Port + queue.Destination(p.SourceSlot).Port;
                }

                packets += batch.Count;
            }

            return bytes;
        }

        // Past tier-up: tiered compilation and PGO allocate while they rejit the loop.
        for (int i = 0; i < 300; i++)
        {
            Round();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            Round();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(0, drops.Total);
    }

    [Fact]
    public void A_queue_rebound_to_another_socket_wakes_its_waiting_reader_and_reads_the_new_socket_with_its_port()
    {
        using UdpSocket first = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        using UdpSocket second = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback) { Gro = false });
        using UdpSocket sender = UdpSocket.Open(new UdpSocketOptions(IPAddress.Loopback));
        using var queue = new UdpReceiveQueue(first, 0, 8, Headroom, Tailroom);
        List<Datagrams.Received>? received = null;

        // The reader waits on the first socket, which gets nothing; the rebind must wake it.
        var reader = new Thread(() => received = Datagrams.Collect(queue, 1)) { IsBackground = true };
        reader.Start();
        Thread.Sleep(200);
        queue.Rebind(second);
        Assert.Same(second, queue.Socket);
        byte[] datagram = Datagrams.Make(1, 100);
        var batch = new UdpBatchSender(sender, 8);
        Assert.True(batch.TryAdd(second.LocalEndpoint, datagram));
        Assert.Equal(1, batch.Flush(new DropTally()));

        Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "the reader did not move to the new socket");
        Datagrams.Received got = Assert.Single(received!);
        Assert.Equal(datagram, got.Bytes);
        Assert.Equal(second.LocalEndpoint, got.Destination);
    }

    private static int SendAll(UdpBatchSender sender, UdpEndpoint destination, byte[][] datagrams, out DropTally drops)
    {
        drops = new DropTally();
        int sent = 0;
        foreach (byte[] datagram in datagrams)
        {
            if (!sender.TryAdd(destination, datagram))
            {
                sent += sender.Flush(drops);
                Assert.True(sender.TryAdd(destination, datagram));
            }
        }

        return sent + sender.Flush(drops);
    }

    private static ReceivedDatagram ReceiveFrom(Socket socket, out int length)
    {
        byte[] buffer = new byte[65536];
        EndPoint from = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        length = socket.ReceiveFrom(buffer, ref from);
        return new ReceivedDatagram(buffer.AsSpan(0, length).ToArray(), ((IPEndPoint)from).Address);
    }

    // /proc/self/task/<tid>/wchan: the kernel function the thread sleeps in.
    private static bool IsBlockedInPoll(int tid)
    {
        try
        {
            return File.ReadAllText($"/proc/self/task/{tid}/wchan").Contains("poll", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private sealed record ReceivedDatagram(byte[] Bytes, IPAddress Address)
    {
        public byte[] ToArray(int expectedLength, Socket socket)
        {
            Assert.True(Bytes.Length == expectedLength, $"{socket.LocalEndPoint} received {Bytes.Length} bytes, expected {expectedLength}");
            return Bytes;
        }
    }
}
