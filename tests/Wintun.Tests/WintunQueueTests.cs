using System.Buffers.Binary;
using RouterHost.Abstractions;
using RouterHost.Packets;
using RouterHost.Plugins.Wintun.Tests.Support;

namespace RouterHost.Plugins.Wintun.Tests;

/// <summary>The session logic of <see cref="WintunQueue"/>, driven through a simulated ring that enforces Wintun's rules.</summary>
public sealed class WintunQueueTests
{
    private static readonly TimeSpan Liveness = TimeSpan.FromSeconds(20);

    [Fact]
    public void A_read_takes_every_waiting_packet_as_one_batch_in_order_copied_out_of_the_ring_with_headroom_and_tailroom()
    {
        using var s = new SimulatedSession();
        byte[][] sent = [.. Enumerable.Range(0, 10).Select(i => TestPackets.Udp4(60 + (i * 100), (byte)i))];
        foreach (byte[] p in sent)
        {
            Assert.True(s.Wintun.Inject(p));
        }

        Assert.True(s.Queue.Read(s.Batch));

        Assert.Equal(10, s.Batch.Count);
        for (int i = 0; i < sent.Length; i++)
        {
            ref Packet p = ref s.Batch[i];
            // The ring's copy was overwritten on release: the batch holds the queue's own copy.
            Assert.Equal(sent[i], p.Data.ToArray());
            Assert.True(p.Headroom >= WintunQueue.Headroom);
            Assert.True(p.Tailroom >= WintunQueue.Tailroom);
            Assert.False(p.Gso.IsSuperpacket);
        }

        Assert.Equal(0, s.Wintun.OutstandingReceives);
        Assert.Equal(0, s.Wintun.PendingReceives);
        Assert.Equal(10, s.Queue.PacketsRead);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void A_read_stops_at_the_batch_size_and_the_next_read_continues_where_it_stopped()
    {
        using var s = new SimulatedSession(batchSize: 4);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(s.Wintun.Inject(TestPackets.Udp4(100, (byte)i)));
        }

        var seen = new List<byte>();
        int[] counts = new int[3];
        for (int read = 0; read < 3; read++)
        {
            Assert.True(s.Queue.Read(s.Batch));
            counts[read] = s.Batch.Count;
            for (int i = 0; i < s.Batch.Count; i++)
            {
                seen.Add(s.Batch[i].Data[^1]);
            }
        }

        Assert.Equal([4, 4, 2], counts);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), seen);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void Each_packet_is_released_in_receive_order_as_soon_as_it_is_copied_so_a_full_ring_drains()
    {
        // The smallest ring Wintun allows, filled with full-size packets until the driver would drop.
        using var s = new SimulatedSession(batchSize: 256, ringCapacity: 0x20000);
        int injected = 0;
        while (s.Wintun.Inject(TestPackets.Udp4(9000, (byte)injected)))
        {
            injected++;
        }

        Assert.InRange(injected, 10, 20);
        Assert.True(s.Queue.Read(s.Batch));
        Assert.Equal(injected, s.Batch.Count);
        Assert.Equal(0, s.Wintun.OutstandingReceives);

        // The whole ring is free again.
        for (int i = 0; i < injected; i++)
        {
            Assert.True(s.Wintun.Inject(TestPackets.Udp4(9000)));
        }

        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void An_empty_packet_from_the_ring_is_released_and_counted_as_a_read_drop()
    {
        using var s = new SimulatedSession();
        Assert.True(s.Wintun.Inject([]));
        Assert.True(s.Wintun.Inject(TestPackets.Udp4(80)));

        Assert.True(s.Queue.Read(s.Batch));

        Assert.Equal(1, s.Batch.Count);
        Assert.Equal(1, s.Batch.ReadDrops[WintunDropReasons.EmptyRead]);
        Assert.Equal(0, s.Wintun.OutstandingReceives);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void A_reader_waiting_on_an_empty_ring_wakes_when_a_packet_arrives()
    {
        using var s = new SimulatedSession();
        var read = new BackgroundCall<bool>(() => s.Queue.Read(s.Batch));
        Assert.True(SpinWait.SpinUntil(() => s.Queue.Waits == 1, Liveness));

        Assert.True(s.Wintun.Inject(TestPackets.Udp4(100, 7)));

        Assert.True(read.Result());
        Assert.Equal(7, s.Batch[0].Data[^1]);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void Close_wakes_a_reader_waiting_on_an_empty_ring_and_every_later_read_returns_false()
    {
        using var s = new SimulatedSession();
        var read = new BackgroundCall<bool>(() => s.Queue.Read(s.Batch));
        Assert.True(SpinWait.SpinUntil(() => s.Queue.Waits == 1, Liveness));

        s.Queue.Close();

        Assert.False(read.Result());
        Assert.True(s.Wintun.Inject(TestPackets.Udp4(100)));
        Assert.False(s.Queue.Read(s.Batch));
        Assert.Equal(0, s.Batch.Count);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void When_the_adapter_goes_away_a_waiting_reader_fails_with_ERROR_HANDLE_EOF_and_writes_become_adapter_gone_drops()
    {
        using var s = new SimulatedSession();
        var read = new BackgroundCall<bool>(() => s.Queue.Read(s.Batch));
        Assert.True(SpinWait.SpinUntil(() => s.Queue.Waits == 1, Liveness));

        s.Wintun.RemoveAdapter();

        WintunException error = Assert.IsType<WintunException>(read.Error());
        Assert.Contains("ERROR_HANDLE_EOF (38)", error.Message, StringComparison.Ordinal);
        Assert.Contains("adapter 'wt0'", error.Message, StringComparison.Ordinal);
        Assert.Equal(WintunDropReasons.AdapterGone, s.Queue.Write(TestPackets.AsPacket(TestPackets.Udp4(100))));
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void Packets_read_before_the_adapter_went_away_are_delivered_and_the_next_read_reports_the_end()
    {
        using var s = new SimulatedSession();
        Assert.True(s.Wintun.Inject(TestPackets.Udp4(100)));
        s.Wintun.RemoveAdapter();

        Assert.Throws<WintunException>(() => s.Queue.Read(s.Batch));
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void After_close_the_adapter_going_away_is_not_an_error()
    {
        using var s = new SimulatedSession();
        s.Queue.Close();
        s.Wintun.RemoveAdapter();

        Assert.False(s.Queue.Read(s.Batch));
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void Written_packets_reach_the_driver_in_order_and_a_full_send_ring_is_a_counted_ring_full_drop()
    {
        using var s = new SimulatedSession(ringCapacity: 0x20000);
        s.Wintun.AutoDrain = false;
        var drops = new DropTally();
        int accepted = 0;
        for (int i = 0; i < 40; i++)
        {
            DropReason result = s.Queue.Write(TestPackets.AsPacket(TestPackets.Udp4(8000, (byte)i)));
            if (result.IsNone)
            {
                accepted++;
            }
            else
            {
                drops.Add(result);
            }
        }

        s.Queue.Flush(drops);

        // 128 KiB holds 16 packets of 8000 bytes (each 8004 in the ring, with 4 bytes kept free).
        Assert.Equal(16, accepted);
        Assert.Equal(24, drops[WintunDropReasons.RingFull]);
        Assert.Equal(24, drops.Total);

        // The driver takes what was queued; the ring takes packets again.
        Assert.Equal(16, s.Wintun.TakeSent());
        Assert.Equal(DropReason.None, s.Queue.Write(TestPackets.AsPacket(TestPackets.Udp4(8000, 99))));
        Assert.Equal(1, s.Wintun.TakeSent());
        Assert.Equal([.. Enumerable.Range(0, 16).Select(i => (byte)i), (byte)99], s.Wintun.Delivered.Select(p => p[^1]));
        Assert.Equal(17, s.Queue.PacketsWritten);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void A_superpacket_is_a_counted_drop_that_never_reaches_the_ring_and_the_queue_says_it_has_no_GSO()
    {
        using var s = new SimulatedSession();
        Packet super = TestPackets.AsPacket(TestPackets.Udp4(3000));
        super.Gso = new GsoInfo { Type = GsoType.UdpL4, SegmentSize = 1000, HeaderLength = 28, ChecksumStart = 20, ChecksumOffset = 6, NeedsChecksum = true };

        Assert.IsNotAssignableFrom<IGsoWriter>(s.Queue);
        Assert.Equal(WintunDropReasons.Superpacket, s.Queue.Write(super));
        Assert.Equal(WintunDropReasons.Superpacket, s.Queue.WriteFromSelf(super));
        Assert.Empty(s.Wintun.Delivered);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0x45, 0, 0, 19, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0 })]
    [InlineData(new byte[] { 0x55, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 })]
    [InlineData(new byte[] { 0x60, 0, 0, 0, 0, 0, 17, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    public void Packets_the_driver_would_discard_are_refused_before_they_take_ring_space(byte[] bytes)
    {
        using var s = new SimulatedSession();
        Assert.Equal(WintunDropReasons.NotIp, s.Queue.Write(TestPackets.AsPacket(bytes)));
        Assert.Empty(s.Wintun.Delivered);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void A_packet_longer_than_WINTUN_MAX_IP_PACKET_SIZE_is_a_too_large_drop()
    {
        using var s = new SimulatedSession();
        byte[] big = new byte[70000];
        big[0] = 0x45;
        Assert.Equal(WintunDropReasons.TooLarge, s.Queue.Write(TestPackets.AsPacket(big)));
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void A_pending_checksum_is_completed_in_the_ring_copy_and_the_callers_packet_is_left_alone()
    {
        using var s = new SimulatedSession();
        byte[] bytes = TestPackets.Udp4(200, 3);
        // NEEDS_CSUM: the UDP checksum field holds the folded pseudo-header sum.
        ushort pseudo = PseudoHeaderChecksum.IPv4(bytes.AsSpan(12, 4), bytes.AsSpan(16, 4), 17, 180);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(26), pseudo);
        Packet packet = TestPackets.AsPacket(bytes);
        packet.Gso = new GsoInfo { NeedsChecksum = true, ChecksumStart = 20, ChecksumOffset = 6 };

        Assert.Equal(DropReason.None, s.Queue.Write(packet));

        byte[] delivered = Assert.Single(s.Wintun.Delivered);
        ushort sum = PseudoHeaderChecksum.IPv4(delivered.AsSpan(12, 4), delivered.AsSpan(16, 4), 17, 180);
        Assert.True(InternetChecksum.Verifies(delivered.AsSpan(20), sum));
        Assert.Equal(pseudo, BinaryPrimitives.ReadUInt16BigEndian(packet.Data[26..]));
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void A_pending_checksum_outside_the_packet_is_refused_before_allocating()
    {
        using var s = new SimulatedSession();
        Packet packet = TestPackets.AsPacket(TestPackets.Udp4(100));
        packet.Gso = new GsoInfo { NeedsChecksum = true, ChecksumStart = 20, ChecksumOffset = 79 };

        Assert.Equal(WintunDropReasons.BadChecksumOffset, s.Queue.Write(packet));
        Assert.Empty(s.Wintun.Delivered);
        s.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void Write_and_WriteFromSelf_from_two_threads_each_keep_their_order()
    {
        using var s = new SimulatedSession(ringCapacity: 0x400000);
        const int Count = 2000;
        Packet[] outside = [.. Enumerable.Range(0, Count).Select(i => Tagged(1, i))];
        Packet[] self = [.. Enumerable.Range(0, Count).Select(i => Tagged(2, i))];
        using var start = new Barrier(2);
        var a = new BackgroundCall<int>(() => WriteAll(outside, p => s.Queue.Write(p)));
        var b = new BackgroundCall<int>(() => WriteAll(self, p => s.Queue.WriteFromSelf(p)));
        Assert.Equal(Count, a.Result());
        Assert.Equal(Count, b.Result());

        Assert.Equal(2 * Count, s.Wintun.Delivered.Count);
        foreach (byte source in new byte[] { 1, 2 })
        {
            int[] order = [.. s.Wintun.Delivered.Where(p => p[28] == source).Select(p => BinaryPrimitives.ReadInt32BigEndian(p.AsSpan(29)))];
            Assert.Equal(Enumerable.Range(0, Count), order);
        }

        s.Dispose();
        Assert.Empty(s.Wintun.Violations);

        int WriteAll(Packet[] packets, Func<Packet, DropReason> write)
        {
            start.SignalAndWait();
            int accepted = 0;
            foreach (Packet p in packets)
            {
                accepted += write(p).IsNone ? 1 : 0;
            }

            return accepted;
        }

        static Packet Tagged(byte source, int sequence)
        {
            byte[] bytes = TestPackets.Udp4(100);
            bytes[28] = source;
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(29), sequence);
            return TestPackets.AsPacket(bytes);
        }
    }

    [Fact]
    public void Disposing_ends_the_session_only_after_a_writer_inside_it_has_left()
    {
        var s = new SimulatedSession();
        using var writerInside = new ManualResetEventSlim();
        using var letWriterGo = new ManualResetEventSlim();
        s.Wintun.OnAllocate = () =>
        {
            writerInside.Set();
            letWriterGo.Wait(TestContext.Current.CancellationToken);
        };
        var write = new BackgroundCall<DropReason>(() => s.Queue.Write(TestPackets.AsPacket(TestPackets.Udp4(100))));
        Assert.True(writerInside.Wait(Liveness, TestContext.Current.CancellationToken));
        Assert.Equal(1, s.Queue.ThreadsInside);

        var dispose = new BackgroundCall<bool>(() =>
        {
            s.Queue.Dispose();
            return true;
        });
        Assert.True(SpinWait.SpinUntil(() => s.Queue.IsEnding, Liveness));

        // Disposal has begun and refuses newcomers, but cannot end the session under the writer.
        Assert.Equal(DropReason.Closed, s.Queue.WriteFromSelf(TestPackets.AsPacket(TestPackets.Udp4(100))));
        Assert.False(s.Wintun.AllSessionsEnded);
        Assert.False(dispose.IsCompleted);

        s.Wintun.OnAllocate = null;
        letWriterGo.Set();
        Assert.Equal(DropReason.None, write.Result());
        Assert.True(dispose.Result());
        Assert.True(s.Wintun.AllSessionsEnded);
        Assert.Single(s.Wintun.Delivered);
        Assert.Equal(["WintunEndSession", "WintunCloseAdapter"], s.Wintun.Calls.Where(c => c is "WintunEndSession" or "WintunCloseAdapter"));
        s.Wintun.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void Disposing_while_a_reader_waits_wakes_it_and_ends_the_session_after_it_left()
    {
        var s = new SimulatedSession();
        var read = new BackgroundCall<bool>(() => s.Queue.Read(s.Batch));
        Assert.True(SpinWait.SpinUntil(() => s.Queue.Waits == 1, Liveness));

        s.Queue.Dispose();

        Assert.False(read.Result());
        Assert.True(s.Wintun.AllSessionsEnded);
        s.Wintun.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void After_dispose_reads_and_writes_never_call_into_the_ended_session()
    {
        var s = new SimulatedSession();
        s.Queue.Dispose();

        Assert.False(s.Queue.Read(s.Batch));
        Assert.Equal(DropReason.Closed, s.Queue.Write(TestPackets.AsPacket(TestPackets.Udp4(100))));
        Assert.Equal(DropReason.Closed, s.Queue.WriteFromSelf(TestPackets.AsPacket(TestPackets.Udp4(100))));
        s.Queue.Close();
        s.Queue.Dispose();

        Assert.Single(s.Wintun.Calls, c => c == "WintunEndSession");
        s.Wintun.Dispose();
        Assert.Empty(s.Wintun.Violations);
    }

    [Fact]
    public void Under_high_load_an_empty_ring_is_polled_for_the_spin_time_before_the_reader_sleeps()
    {
        var time = new ManualTime();
        using var s = new SimulatedSession(spin: TimeSpan.FromMicroseconds(12), spinAboveBitsPerSecond: 1_000_000, time: time);

        // Half a second carrying 64 x 1400 bytes: about 1.4 Mbit/s, above the 1 Mbit/s threshold.
        ReadBurst(s, 1);
        time.Advance(TimeSpan.FromSeconds(0.5));
        ReadBurst(s, 64);

        // Every clock reading now moves time by one microsecond: the spin lasts twelve readings.
        s.Wintun.ClearReadEvent();
        time.Step = 1_000;
        var read = new BackgroundCall<bool>(() => s.Queue.Read(s.Batch));
        Assert.True(SpinWait.SpinUntil(() => s.Queue.Waits == 1, Liveness));
        Assert.InRange(s.Queue.SpinPolls, 10, 12);
        Assert.True(s.Wintun.EmptyReceives > s.Queue.SpinPolls);

        s.Queue.Close();
        Assert.False(read.Result());
    }

    [Fact]
    public void Under_low_load_an_empty_ring_sends_the_reader_straight_to_sleep()
    {
        var time = new ManualTime();
        using var s = new SimulatedSession(spin: TimeSpan.FromMicroseconds(12), spinAboveBitsPerSecond: 800_000_000, time: time);
        ReadBurst(s, 1);
        time.Advance(TimeSpan.FromSeconds(0.5));
        ReadBurst(s, 64);

        s.Wintun.ClearReadEvent();
        time.Step = 1_000;
        var read = new BackgroundCall<bool>(() => s.Queue.Read(s.Batch));
        Assert.True(SpinWait.SpinUntil(() => s.Queue.Waits == 1, Liveness));
        Assert.Equal(0, s.Queue.SpinPolls);

        s.Queue.Close();
        Assert.False(read.Result());
    }

    private static void ReadBurst(SimulatedSession s, int packets)
    {
        for (int i = 0; i < packets; i++)
        {
            Assert.True(s.Wintun.Inject(TestPackets.Udp4(1400)));
        }

        Assert.True(s.Queue.Read(s.Batch));
        Assert.Equal(packets, s.Batch.Count);
    }
}
