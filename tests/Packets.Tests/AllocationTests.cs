using RouterHost.Abstractions;

namespace RouterHost.Packets.Tests;

/// <summary>The per-packet paths allocate nothing once warm.</summary>
public class AllocationTests
{
    [Fact]
    public void Parsing_checksumming_segmenting_and_decoding_allocate_nothing()
    {
        byte[] super = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(64000) });
        var gso = new GsoInfo { Type = GsoType.TcpV4, SegmentSize = 1400, HeaderLength = 40, ChecksumStart = 20, ChecksumOffset = 16, NeedsChecksum = true };
        var buffers = new Memory<byte>[64];
        for (int i = 0; i < buffers.Length; i++)
        {
            buffers[i] = new byte[1500];
        }

        int[] lengths = new int[64];
        byte[] virtio = new byte[VirtioNetHeader.Length];
        VirtioOffload.TryEncode(gso, virtio);

        void Work()
        {
            PacketParser.Parse(super, out _);
            InternetChecksum.Sum(super);
            FlowHash.Compute(super, symmetric: true);
            VirtioOffload.Decode(virtio, super, out _);
            Segmenter.Segment(super, gso, buffers, lengths, out _);
        }

        Work();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            Work();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Segmenting_through_the_scratch_allocates_nothing()
    {
        byte[] bytes = TestPackets.Tcp(new TestPackets.TcpSpec { Payload = TestPackets.Pattern(64000) });
        var super = new Packet
        {
            Buffer = bytes,
            Length = bytes.Length,
            Gso = new GsoInfo { Type = GsoType.TcpV4, SegmentSize = 1400, HeaderLength = 40, ChecksumStart = 20, ChecksumOffset = 16, NeedsChecksum = true },
        };
        var scratch = new SegmentScratch(1 << 20);
        long length = 0;

        void Work()
        {
            if (scratch.Plan(in super, 64, 64).IsNone)
            {
                if (!scratch.PlanFits)
                {
                    scratch.Reset();
                }

                scratch.Write(in super);
                for (int i = 0; i < scratch.Count; i++)
                {
                    length += scratch.SegmentAt(in super, i).Length;
                }
            }
        }

        Work();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            Work();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(51L * (bytes.Length + (45 * 40)), length); // 46 segments, each with its own 40 bytes of headers
    }
}
