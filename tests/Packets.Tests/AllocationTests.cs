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
}
