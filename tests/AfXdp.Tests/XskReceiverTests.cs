using FsCheck;
using FsCheck.Fluent;
using RouterHost.Abstractions;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>
/// The receive side over plain memory with crafted descriptors: packets are borrowed UMEM slices, frames go back to
/// the fill ring in one batch at the next read, and nothing the "kernel" writes can make it touch memory outside the
/// UMEM (guard pages would fault) or hand a frame out twice.
/// </summary>
public sealed unsafe class XskReceiverTests
{
    [Fact]
    public void Every_receive_frame_starts_in_the_fill_ring_once()
    {
        using var h = new ReceiveHarness();
        List<ulong> fill = h.TakeFill();
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (ulong)i * 2048), fill.Order());
        Assert.Equal(0, h.Receiver.HeldFrames);
    }

    [Fact]
    public void A_received_frame_becomes_a_packet_borrowed_from_the_UMEM_without_its_Ethernet_header()
    {
        using var h = new ReceiveHarness();
        byte[] packet = Frames.Ipv4Packet(100);
        ulong address = h.Deliver(Frames.Ethernet(packet, 0x0800));
        var batch = new PacketBatch(8);

        Assert.Equal(1, h.Receiver.Receive(batch));

        Packet p = batch[0];
        Assert.Equal(packet, p.Data.ToArray());
        Assert.Equal(2048, p.Buffer.Length);
        Assert.Equal(ReceiveHarness.KernelHeadroom + 14, p.Offset);
        Assert.Equal(2048 - 256 - 14 - packet.Length, p.Tailroom);
        // No copy: writing the packet writes the UMEM frame.
        p.Data[0] = 0x46;
        Assert.Equal(0x46, h.Umem.Frame((uint)(address / 2048))[ReceiveHarness.KernelHeadroom + 14]);
        Assert.Equal(*h.Rx.Producer, *h.Rx.Consumer);
    }

    [Fact]
    public void Ethernet_padding_of_a_short_frame_is_not_part_of_the_packet()
    {
        using var h = new ReceiveHarness();
        byte[] packet = Frames.Ipv4Packet(0); // 28 bytes: 18 bytes of padding make the 60-byte minimum frame
        h.Deliver(Frames.Ethernet(packet, 0x0800, padding: 18));
        var batch = new PacketBatch(8);
        h.Receiver.Receive(batch);
        Assert.Equal(packet.Length, batch[0].Length);
    }

    [Fact]
    public void The_batch_goes_back_to_the_fill_ring_at_once_at_the_next_read_and_not_before()
    {
        using var h = new ReceiveHarness();
        h.TakeFill();
        for (int i = 0; i < 5; i++)
        {
            h.Deliver(Frames.Ipv6Frame());
        }

        uint fillProducer = *h.Fill.Producer;
        var batch = new PacketBatch(8);
        Assert.Equal(5, h.Receiver.Receive(batch));
        Assert.Equal(5, batch.Count);
        Assert.Equal(fillProducer, *h.Fill.Producer);    // still borrowed by the batch
        Assert.Equal(*h.Rx.Producer, *h.Rx.Consumer);    // the RX ring slots were released in one store
        Assert.Equal(5, h.Receiver.HeldFrames);

        Assert.Equal(5, h.Receiver.Recycle());
        Assert.Equal(fillProducer + 5, *h.Fill.Producer);
        Assert.Equal(0, h.Receiver.HeldFrames);
    }

    [Fact]
    public void The_receiver_reads_no_more_than_the_batch_has_room_for()
    {
        using var h = new ReceiveHarness();
        for (int i = 0; i < 6; i++)
        {
            h.Deliver(Frames.Ipv4Frame());
        }

        var batch = new PacketBatch(4);
        Assert.Equal(4, h.Receiver.Receive(batch));
        Assert.Equal(2, (int)(*h.Rx.Producer - *h.Rx.Consumer));
        batch.Clear();
        Assert.Equal(2, h.Receiver.Receive(batch));
    }

    public static TheoryData<string, ulong, uint, uint> BadDescriptors() => new()
    {
        { "afxdp.rx.bad_descriptor", 16UL * 2048 + 256, 60, 0 },          // a transmit frame
        { "afxdp.rx.bad_descriptor", 24UL * 2048, 60, 0 },                // past the UMEM
        { "afxdp.rx.bad_descriptor", ulong.MaxValue - 10, 60, 0 },        // nowhere
        { "afxdp.rx.bad_length", 3UL * 2048 + 256, 0, 0 },                // empty
        { "afxdp.rx.bad_length", 3UL * 2048 + 256, 2048 - 255, 0 },       // one byte past its frame
        { "afxdp.rx.bad_length", 3UL * 2048 + 2047, 2, 0 },               // starts at the frame's last byte
        { "afxdp.rx.bad_length", 3UL * 2048, uint.MaxValue, 0 },          // absurd
        { "afxdp.rx.multi_buffer", 3UL * 2048 + 256, 60, 1 },             // XDP_PKT_CONTD
    };

    [Theory]
    [MemberData(nameof(BadDescriptors))]
    public void A_descriptor_with_a_bad_address_or_length_is_a_counted_drop_and_touches_nothing_outside_the_UMEM(string reason, ulong address, uint length, uint options)
    {
        using var h = new ReceiveHarness();
        h.TakeFill();
        h.Rx.KernelProduce(address, length, options);
        var batch = new PacketBatch(8);

        Assert.Equal(1, h.Receiver.Receive(batch));

        Assert.Equal(0, batch.Count);
        Assert.Equal(1, batch.ReadDrops[DropReason.Register(reason)]);
        Assert.Equal(1, h.Receiver.BadDescriptors);
        // A descriptor naming one of our receive frames gives that frame back; one naming none gives nothing.
        bool namesAFrame = address / 2048 < 16;
        Assert.Equal(namesAFrame ? 1 : 0, h.Receiver.Recycle());
    }

    [Fact]
    public void A_duplicated_descriptor_cannot_put_one_frame_in_the_fill_ring_twice()
    {
        using var h = new ReceiveHarness();
        h.TakeFill();
        ulong address = h.Deliver(Frames.Ipv4Frame());
        h.Rx.KernelProduce(address, 60);                       // the same frame again, in the same batch
        var batch = new PacketBatch(8);
        h.Receiver.Receive(batch);
        Assert.Equal(1, batch.Count);
        Assert.Equal(1, batch.ReadDrops[AfXdpDropReasons.BadDescriptor]);

        h.Rx.KernelProduce(address, 60);                       // and again, while the batch still holds it
        batch.Clear();
        h.Receiver.Receive(batch);
        Assert.Equal(1, batch.ReadDrops[AfXdpDropReasons.BadDescriptor]);

        Assert.Equal(1, h.Receiver.Recycle());
        List<ulong> back = h.TakeFill();
        Assert.Equal([address - ReceiveHarness.KernelHeadroom], back);
    }

    public static TheoryData<string, byte[]> MalformedFrames()
    {
        byte[] v4 = Frames.Ipv4Packet();
        byte[] v6 = Frames.Ipv6Packet();
        byte[] longTotal = (byte[])v4.Clone();
        longTotal[3] += 10;
        byte[] longPayload = (byte[])v6.Clone();
        longPayload[5] += 10;
        return new TheoryData<string, byte[]>
        {
            { "afxdp.rx.runt", new byte[13] },
            { "afxdp.rx.not_for_us", Frames.Ethernet(v4, 0x0800, destination: 0x0000_0605_0403_0202) },
            { "afxdp.rx.wrong_ethertype", Frames.Ethernet(new byte[28], 0x0806) },  // ARP
            { "afxdp.rx.wrong_ethertype", Frames.Ethernet(v4, 0x8100) },            // 802.1Q-tagged
            { "afxdp.rx.ip_version_mismatch", Frames.Ethernet(v6, 0x0800) },
            { "afxdp.rx.ip_version_mismatch", Frames.Ethernet(v4.Concat(new byte[20]).ToArray(), 0x86DD) },
            { "afxdp.rx.truncated_ip", Frames.Ethernet(v4[..19], 0x0800) },
            { "afxdp.rx.truncated_ip", Frames.Ethernet(longTotal, 0x0800) },
            { "afxdp.rx.truncated_ip", Frames.Ethernet(v6[..39], 0x86DD) },
            { "afxdp.rx.truncated_ip", Frames.Ethernet(longPayload, 0x86DD) },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public void A_malformed_frame_is_a_counted_drop_and_its_frame_goes_back(string reason, byte[] frame)
    {
        using var h = new ReceiveHarness();
        h.Deliver(frame);
        var batch = new PacketBatch(8);
        h.Receiver.Receive(batch);
        Assert.Equal(0, batch.Count);
        Assert.Equal(1, batch.ReadDrops[DropReason.Register(reason)]);
        Assert.Equal(1, h.Receiver.Recycle());
    }

    [Fact]
    public void Broadcast_and_multicast_frames_are_accepted_for_routing_to_decide()
    {
        using var h = new ReceiveHarness();
        h.Deliver(Frames.Ethernet(Frames.Ipv4Packet(), 0x0800, destination: 0x0000_FFFF_FFFF_FFFF));
        h.Deliver(Frames.Ethernet(Frames.Ipv6Packet(), 0x86DD, destination: 0x0000_0100_0000_3333));
        var batch = new PacketBatch(8);
        h.Receiver.Receive(batch);
        Assert.Equal(2, batch.Count);
    }

    [Fact]
    public void A_corrupt_producer_index_never_yields_more_descriptors_than_the_ring_holds()
    {
        using var h = new ReceiveHarness();
        h.TakeFill();
        *h.Rx.Producer += 1_000_000;
        var batch = new PacketBatch(256);
        int taken = h.Receiver.Receive(batch);
        Assert.Equal(16, taken);
        Assert.InRange(h.Receiver.HeldFrames, 0, 16);
        Assert.Equal(taken, batch.Count + (int)batch.ReadDrops.Total);
    }

    [Fact]
    public void Indices_that_wrap_past_2_to_the_32_keep_working()
    {
        using var h = new ReceiveHarness(ringStart: uint.MaxValue - 5);
        var batch = new PacketBatch(16);
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 5; i++)
            {
                h.Deliver(Frames.Ipv4Frame(i));
            }

            batch.Clear();
            h.Receiver.Recycle();
            Assert.Equal(5, h.Receiver.Receive(batch));
            Assert.Equal(5, batch.Count);
        }
    }

    [Fact]
    public void Random_descriptors_never_read_outside_the_UMEM_and_never_hand_out_a_frame_twice()
    {
        // Addresses biased toward the interesting places: inside receive frames, at their edges, in transmit frames,
        // past the end; lengths and options at random. The guard pages around the UMEM turn any stray access into a crash.
        Gen<(ulong Address, uint Length, uint Options)> descriptor =
            from frame in Gen.Choose(0, 30)
            from offset in Gen.OneOf(Gen.Choose(0, 2047), Gen.Elements(0, 256, 2033, 2046, 2047))
            from wild in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
            from raw in Gen.Choose(int.MinValue, int.MaxValue)
            from length in Gen.OneOf(Gen.Choose(0, 2100), Gen.Elements(0, 1, 13, 14, 33, 34, 1792, 2048))
            from options in Gen.Frequency((9, Gen.Constant(0)), (1, Gen.Choose(0, 3)))
            select (wild ? (ulong)(uint)raw << 20 | (uint)raw : ((ulong)frame * 2048) + (ulong)offset, (uint)length, (uint)options);
        Gen<(ulong, uint, uint)[][]> rounds = Gen.ArrayOf(Gen.ArrayOf(descriptor));

        Prop.ForAll(rounds.ToArbitrary(), batches =>
        {
            using var h = new ReceiveHarness();
            var random = new Random(batches.Length);
            var batch = new PacketBatch(16);
            foreach ((ulong Address, uint Length, uint Options)[] descriptors in batches)
            {
                h.Receiver.Recycle();
                h.TakeFill();
                foreach (var d in descriptors.Take(16))
                {
                    // Real frame bytes where the descriptor points inside a receive frame.
                    if (d.Address < 16 * 2048 && d.Address % 2048 + 64 <= 2048)
                    {
                        byte[] frame = random.Next(3) == 0 ? Frames.Ipv6Frame(random.Next(20)) : Frames.Ipv4Frame(random.Next(20));
                        frame.AsSpan(0, Math.Min(frame.Length, 64)).CopyTo(h.Umem.Frame((uint)(d.Address / 2048))[(int)(d.Address % 2048)..]);
                    }

                    h.Rx.KernelProduce(d.Address, d.Length, d.Options);
                }

                batch.Clear();
                h.Receiver.Receive(batch);
                var seen = new HashSet<int>();
                for (int i = 0; i < batch.Count; i++)
                {
                    Packet p = batch[i];
                    if (p.Buffer.Length != 2048 || p.Offset < 14 || p.Offset + p.Length > 2048 || !seen.Add(p.Buffer.GetHashCode() ^ p.Offset))
                    {
                        return false;
                    }
                }
            }

            // Every receive frame is either ours or the kernel's, never both and never lost twice over.
            h.Receiver.Recycle();
            var fill = h.TakeFill();
            return fill.Distinct().Count() == fill.Count && fill.All(a => a % 2048 == 0 && a < 16 * 2048);
        }).QuickCheckThrowOnFailure();
    }
}
