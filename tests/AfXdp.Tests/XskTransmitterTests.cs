using FsCheck;
using FsCheck.Fluent;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// The transmit side over plain memory: descriptors point at this path's transmit frames, are published in bursts,
/// the kernel is kicked only when the ring asks, and completions — however wrong — never free a frame twice.
/// </summary>
public sealed unsafe class XskTransmitterTests
{
    private static byte[] Payload(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(i + seed)).ToArray();

    [Fact]
    public void Staged_frames_are_published_at_the_threshold_or_by_an_explicit_publish_and_then_kicked()
    {
        using var h = new TransmitHarness(publishThreshold: 4);
        XskTxPath path = h.Transmitter.WritePath;
        for (byte i = 0; i < 3; i++)
        {
            Assert.True(h.Send(path, Payload(60 + i, i)));
        }

        Assert.Equal(0u, *h.Tx.Producer);
        Assert.Equal(0, h.Kicks);
        Assert.True(h.Send(path, Payload(63, 3)));   // the fourth reaches the threshold
        Assert.Equal(4u, *h.Tx.Producer);
        Assert.Equal(1, h.Kicks);
        Assert.True(h.Send(path, Payload(64, 4)));
        Assert.Equal(0, h.Transmitter.Publish(path)); // a flush
        Assert.Equal(5, h.Sent.Count);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(Payload(60 + i, (byte)i), h.Sent[i].Bytes);
            ulong frame = h.Sent[i].Address / 2048;
            Assert.InRange(frame, 16UL, 16UL + (ulong)path.FrameCount - 1);  // the write path's frames, after the 16 receive frames
            Assert.Equal(0UL, h.Sent[i].Address % 2048);
        }
    }

    [Fact]
    public void The_kernel_is_not_kicked_when_the_ring_does_not_ask_for_it()
    {
        using var h = new TransmitHarness(publishThreshold: 1);
        h.Tx.NeedWakeup = false;  // a zero-copy driver that is polling on its own
        h.Send(h.Transmitter.WritePath, Payload(60, 0));
        Assert.Equal(1u, *h.Tx.Producer);
        Assert.Equal(0, h.Kicks);
    }

    [Fact]
    public void A_kick_repeats_while_the_kernel_says_EAGAIN_until_the_ring_is_drained()
    {
        using var h = new TransmitHarness(rxFrames: 16, txFrames: 128, publishThreshold: 100);
        XskTxPath path = h.Transmitter.WritePath;
        for (int i = 0; i < 96; i++)
        {
            Assert.True(h.Send(path, Payload(60, (byte)i)));
        }

        h.Transmitter.Publish(path);
        Assert.Equal(96, h.Sent.Count);
        Assert.Equal(3, h.Kicks);   // 32 frames per kick in copy mode
        Assert.Equal(0u, h.Tx.Backlog);
    }

    [Fact]
    public void With_a_TX_budget_as_large_as_the_burst_one_kick_sends_it_all()
    {
        using var h = new TransmitHarness(rxFrames: 16, txFrames: 128, publishThreshold: 100, kernelBatch: 128);
        XskTxPath path = h.Transmitter.WritePath;
        for (int i = 0; i < 96; i++)
        {
            Assert.True(h.Send(path, Payload(60, (byte)i)));
        }

        h.Transmitter.Publish(path);
        Assert.Equal(96, h.Sent.Count);
        Assert.Equal(1, h.Kicks);
        Assert.Equal(0u, h.Tx.Backlog);
    }

    [Fact]
    public void When_every_frame_is_in_flight_taking_another_fails_until_completions_return_them()
    {
        using var h = new TransmitHarness(publishThreshold: 1);
        h.HoldCompletions = true;
        XskTxPath path = h.Transmitter.WritePath;
        for (int i = 0; i < path.FrameCount; i++)
        {
            Assert.True(h.Send(path, Payload(60, (byte)i)));
        }

        Assert.False(h.Transmitter.TryTakeFrame(path, out _));
        h.CompleteAll();
        Assert.True(h.Transmitter.TryTakeFrame(path, out _));
        Assert.Equal(path.FrameCount, (int)h.Transmitter.Completed);
    }

    [Fact]
    public void The_self_path_has_frames_of_its_own_that_the_write_path_cannot_exhaust()
    {
        using var h = new TransmitHarness(publishThreshold: 1);
        h.HoldCompletions = true;
        XskTxPath write = h.Transmitter.WritePath;
        while (h.Send(write, Payload(60, 1)))
        {
        }

        Assert.True(h.Send(h.Transmitter.SelfPath, Payload(70, 2)));
        ulong frame = h.Sent[^1].Address / 2048;
        Assert.InRange(frame, 16UL + (ulong)write.FrameCount, 16UL + 15);
    }

    [Theory]
    [InlineData(0UL)]                      // a receive frame
    [InlineData(16UL * 2048 + 100)]        // inside a transmit frame that is not in flight
    [InlineData(40UL * 2048)]              // past the UMEM
    [InlineData(ulong.MaxValue)]
    public void A_completion_that_is_not_a_frame_in_flight_is_counted_and_ignored(ulong address)
    {
        using var h = new TransmitHarness(publishThreshold: 1);
        int before = h.Transmitter.WritePath.FreeCount;
        h.Completion.KernelProduceAddress(address);
        h.Transmitter.Reap();
        Assert.Equal(1, h.Transmitter.BadCompletions);
        Assert.True(h.Send(h.Transmitter.WritePath, Payload(60, 0)));
        Assert.Equal(before - 1, h.Transmitter.WritePath.FreeCount + h.Transmitter.WritePath.StagedCount);
    }

    [Fact]
    public void A_completion_repeated_by_the_kernel_does_not_free_its_frame_twice()
    {
        using var h = new TransmitHarness(publishThreshold: 1);
        h.HoldCompletions = true;
        h.Send(h.Transmitter.WritePath, Payload(60, 0));
        ulong address = h.InFlight[0];
        h.CompleteAll();
        h.Completion.KernelProduceAddress(address);
        h.Transmitter.Reap();
        Assert.Equal(1, h.Transmitter.Completed);
        Assert.Equal(1, h.Transmitter.BadCompletions);
        Assert.Equal(h.Transmitter.WritePath.FrameCount, h.Transmitter.WritePath.FreeCount + h.Transmitter.WritePath.ReturnedCount);
    }

    [Fact]
    public void A_TX_ring_with_a_corrupt_consumer_index_drops_what_it_cannot_take_and_keeps_the_frames()
    {
        using var h = new TransmitHarness(publishThreshold: 100);
        h.HoldCompletions = true;
        XskTxPath path = h.Transmitter.WritePath;
        for (int i = 0; i < path.FrameCount; i++)
        {
            h.Send(path, Payload(60, (byte)i));
        }

        h.Transmitter.Publish(path);   // 12 published; our cached view of the ring has 4 free slots
        h.CompleteAll();
        *h.Tx.Consumer = 1_000_000;    // the kernel now claims far more consumed than was ever produced
        for (int i = 0; i < 5; i++)
        {
            Assert.True(h.Send(path, Payload(60, (byte)i)));
        }

        Assert.Equal(5, h.Transmitter.Publish(path));   // 5 > 4 cached: the consumer is read, and it leaves no room
        Assert.Equal(5, path.UnreportedRingFull);
        Assert.Equal(path.FrameCount, path.FreeCount);
    }

    [Fact]
    public void The_write_and_self_paths_on_two_threads_never_share_a_frame_and_lose_none()
    {
        using var h = new TransmitHarness(rxFrames: 16, txFrames: 64, publishThreshold: 8);
        var writer = new Thread(() => SendMany(h, h.Transmitter.WritePath, 20_000, 1));
        var self = new Thread(() => SendMany(h, h.Transmitter.SelfPath, 5_000, 2));
        writer.Start();
        self.Start();
        writer.Join();
        self.Join();
        h.Transmitter.Publish(h.Transmitter.WritePath);
        h.Transmitter.Reap();
        Assert.Equal(25_000, h.Sent.Count);
        Assert.Equal(0, h.Transmitter.BadCompletions);
        Assert.All(h.Sent, s => Assert.Equal(s.Address / 2048 < 16 + 48 ? 1 : 2, s.Bytes[0]));
    }

    [Fact]
    public void Random_completions_never_make_a_frame_free_twice_or_lose_one()
    {
        Gen<ulong[]> completions = Gen.ArrayOf(Gen.OneOf(
            Gen.Choose(0, 40).Select(f => (ulong)f * 2048),
            Gen.Choose(0, int.MaxValue).Select(v => (ulong)v)));
        Prop.ForAll(completions.ToArbitrary(), junk =>
        {
            using var h = new TransmitHarness(publishThreshold: 1);
            h.HoldCompletions = true;
            XskTxPath path = h.Transmitter.WritePath;
            for (int i = 0; i < 5; i++)
            {
                h.Send(path, Payload(60, (byte)i));
            }

            foreach (ulong address in junk.Take(12))
            {
                h.Completion.KernelProduceAddress(address);
            }

            h.Transmitter.Reap();
            h.CompleteAll();
            h.Transmitter.Reap();
            var free = new HashSet<uint>();
            while (h.Transmitter.TryTakeFrame(path, out uint frame))
            {
                if (!free.Add(frame))
                {
                    return false;
                }
            }

            return free.Count == path.FrameCount;
        }).QuickCheckThrowOnFailure();
    }

    private static void SendMany(TransmitHarness h, XskTxPath path, int count, byte mark)
    {
        var bytes = new byte[60];
        bytes[0] = mark;
        int sent = 0;
        while (sent < count)
        {
            if (h.Send(path, bytes))
            {
                sent++;
            }
        }

        h.Transmitter.Publish(path);
    }
}
