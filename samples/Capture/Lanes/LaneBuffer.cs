using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using RouterHost.Samples.Capture.Pcapng;

namespace RouterHost.Samples.Capture.Lanes;

/// <summary>One captured packet's header in a <see cref="CaptureChunk"/>; its bytes follow, the record padded to 8.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
public struct CaptureRecord
{
    /// <summary>Bytes of the header.</summary>
    public const int Size = 24;

    /// <summary>When the stage saw it, in nanoseconds since the Unix epoch.</summary>
    public long TimestampNanoseconds;

    /// <summary>The port it is filed under (an encoded port id).</summary>
    public uint Port;

    /// <summary>Its length on the wire.</summary>
    public int OriginalLength;

    /// <summary>How many of its bytes follow.</summary>
    public int CapturedLength;

    /// <summary>Which way it walked the chain.</summary>
    public CaptureDirection Direction;
}

/// <summary>A block of captured packets on its way from a lane to the writer thread.</summary>
public sealed class CaptureChunk(int bytes)
{
    /// <summary>The records, back to back.</summary>
    public byte[] Bytes { get; } = GC.AllocateArray<byte>(bytes, pinned: true);

    /// <summary>Bytes used.</summary>
    public int Used { get; set; }

    /// <summary>Records in it.</summary>
    public int Count { get; set; }

    /// <summary>Bytes a record of <paramref name="capturedLength"/> packet bytes takes.</summary>
    public static int RecordLength(int capturedLength) => CaptureRecord.Size + ((capturedLength + 7) & ~7);

    /// <summary>Reads the record at <paramref name="offset"/>; returns the offset of the next one.</summary>
    public int Read(int offset, out CaptureRecord record, out ReadOnlySpan<byte> captured)
    {
        record = MemoryMarshal.Read<CaptureRecord>(Bytes.AsSpan(offset, CaptureRecord.Size));
        captured = Bytes.AsSpan(offset + CaptureRecord.Size, record.CapturedLength);
        return offset + RecordLength(record.CapturedLength);
    }
}

/// <summary>
/// Hands captured packets from one lane (the producer) to the writer thread (the consumer) without blocking either:
/// the lane copies packets into its current chunk and publishes it when full or at the end of a batch; the writer takes
/// published chunks and gives them back empty. When every chunk waits for the writer, the lane counts the packet in
/// <see cref="Dropped"/> and the traffic goes on: capture never holds a packet up. Lock-free and, in steady state,
/// allocation-free (the queues hold at most the fixed set of chunks).
/// </summary>
public sealed class LaneBuffer
{
    private readonly ConcurrentQueue<CaptureChunk> _free = new();
    private readonly ConcurrentQueue<CaptureChunk> _filled = new();
    private CaptureChunk? _current;
    private long _dropped;
    private long _captured;

    /// <summary>Creates the buffer with <paramref name="chunks"/> chunks of <paramref name="chunkBytes"/> bytes each.</summary>
    public LaneBuffer(int chunks, int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunks, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, CaptureRecord.Size + 8);
        ChunkBytes = chunkBytes;
        for (int i = 0; i < chunks; i++)
        {
            _free.Enqueue(new CaptureChunk(chunkBytes));
        }
    }

    /// <summary>Bytes of each chunk: the largest record one packet can make.</summary>
    public int ChunkBytes { get; }

    /// <summary>Packets the lane could not hand over because the writer was behind (capture_dropped).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Packets the lane handed over.</summary>
    public long Captured => Volatile.Read(ref _captured);

    /// <summary>
    /// Producer: copies a packet in. False (and counted in <see cref="Dropped"/>) when no chunk is free or the record
    /// cannot fit in one.
    /// </summary>
    public bool TryAppend(long timestampNanoseconds, uint port, CaptureDirection direction, ReadOnlySpan<byte> captured, int originalLength)
    {
        int length = CaptureChunk.RecordLength(captured.Length);
        CaptureChunk? chunk = _current;
        if (length > ChunkBytes)
        {
            Volatile.Write(ref _dropped, _dropped + 1);
            return false;
        }

        if (chunk is not null && chunk.Used + length > chunk.Bytes.Length)
        {
            Publish();
            chunk = null;
        }

        if (chunk is null)
        {
            if (!_free.TryDequeue(out chunk))
            {
                Volatile.Write(ref _dropped, _dropped + 1);
                return false;
            }

            chunk.Used = 0;
            chunk.Count = 0;
            _current = chunk;
        }

        var record = new CaptureRecord
        {
            TimestampNanoseconds = timestampNanoseconds,
            Port = port,
            OriginalLength = originalLength,
            CapturedLength = captured.Length,
            Direction = direction,
        };
        Span<byte> at = chunk.Bytes.AsSpan(chunk.Used, length);
        MemoryMarshal.Write(at, in record);
        captured.CopyTo(at[CaptureRecord.Size..]);
        chunk.Used += length;
        chunk.Count++;
        Volatile.Write(ref _captured, _captured + 1);
        return true;
    }

    /// <summary>Producer: hands the current chunk to the writer (at the end of a batch).</summary>
    public void Publish()
    {
        if (_current is { Count: > 0 } chunk)
        {
            _current = null;
            _filled.Enqueue(chunk);
        }
    }

    /// <summary>Consumer: takes the oldest published chunk.</summary>
    public bool TryTake(out CaptureChunk chunk) => _filled.TryDequeue(out chunk!);

    /// <summary>Consumer: gives a chunk back once written.</summary>
    public void Return(CaptureChunk chunk) => _free.Enqueue(chunk);
}
