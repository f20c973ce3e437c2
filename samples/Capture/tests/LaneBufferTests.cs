using RouterHost.Samples.Capture.Lanes;
using RouterHost.Samples.Capture.Pcapng;

namespace RouterHost.Samples.Capture.Tests;

public sealed class LaneBufferTests
{
    [Fact]
    public void Records_reach_the_writer_in_order_with_their_bytes()
    {
        var lane = new LaneBuffer(chunks: 2, chunkBytes: 4096);
        for (int i = 0; i < 5; i++)
        {
            byte[] data = [.. Enumerable.Range(0, i * 3).Select(b => (byte)(b + i))];
            Assert.True(lane.TryAppend(100 + i, (uint)i, CaptureDirection.Inbound, data, 1000 + i));
        }

        Assert.False(lane.TryTake(out _));
        lane.Publish();
        Assert.True(lane.TryTake(out CaptureChunk chunk));
        Assert.Equal(5, chunk.Count);
        int at = 0;
        for (int i = 0; i < 5; i++)
        {
            at = chunk.Read(at, out CaptureRecord record, out ReadOnlySpan<byte> captured);
            Assert.Equal(100 + i, record.TimestampNanoseconds);
            Assert.Equal((uint)i, record.Port);
            Assert.Equal(1000 + i, record.OriginalLength);
            Assert.Equal(CaptureDirection.Inbound, record.Direction);
            Assert.Equal(Enumerable.Range(0, i * 3).Select(b => (byte)(b + i)), captured.ToArray());
        }

        Assert.Equal(chunk.Used, at);
        Assert.Equal(5, lane.Captured);
        Assert.Equal(0, lane.Dropped);
    }

    [Fact]
    public void When_the_writer_is_behind_packets_are_counted_dropped_and_capture_resumes_when_it_catches_up()
    {
        var lane = new LaneBuffer(chunks: 2, chunkBytes: 256);
        byte[] data = new byte[100];
        int appended = 0;
        for (int i = 0; i < 10; i++)
        {
            appended += lane.TryAppend(i, 1, CaptureDirection.Outbound, data, 100) ? 1 : 0;
        }

        // Two chunks of two 128-byte records each; the rest waits for a chunk the writer never gave back.
        Assert.Equal(4, appended);
        Assert.Equal(6, lane.Dropped);
        lane.Publish();
        Assert.True(lane.TryTake(out CaptureChunk first));
        Assert.True(lane.TryTake(out CaptureChunk second));
        Assert.Equal(4, first.Count + second.Count);
        lane.Return(first);
        Assert.True(lane.TryAppend(11, 1, CaptureDirection.Outbound, data, 100));
        Assert.Equal(6, lane.Dropped);
    }

    [Fact]
    public void A_record_larger_than_a_chunk_is_counted_dropped()
    {
        var lane = new LaneBuffer(chunks: 2, chunkBytes: 64);
        Assert.False(lane.TryAppend(1, 1, CaptureDirection.Outbound, new byte[64], 64));
        Assert.Equal(1, lane.Dropped);
        Assert.True(lane.TryAppend(1, 1, CaptureDirection.Outbound, new byte[8], 8));
    }
}
