using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using RouterHost.Abstractions;
using RouterHost.Plugins.Wintun;
using RouterHost.Plugins.Wintun.Internal;

namespace RouterHost.Benchmarks.Wintun;

/// <summary>
/// The Wintun queue's own cost per batch of 64 packets, on an in-memory Wintun (no driver): <see cref="Read"/> takes
/// 64 packets from the ring, copying each into the queue's slab and releasing it; <see cref="Write"/> writes 64
/// packets into the send ring. Baseline: the 64 copies alone (what reading out of the ring or writing into it must
/// cost at least), so the ratio is the price of the queue's loop, checks and bookkeeping around them.
/// </summary>
[MemoryDiagnoser]
public unsafe class WintunBenchmarks
{
    private const int Batch = 64;
    private InMemoryWintun _wintun = null!;
    private WintunQueue _queue = null!;
    private PacketBatch _batch = null!;
    private Packet[] _packets = [];
    private byte[] _slab = [];

    [Params(64, 1420)]
    public int PacketSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] packet = new byte[PacketSize];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)PacketSize);
        packet[9] = 17;
        _wintun = new InMemoryWintun(packet);
        var adapter = new SafeWintunAdapterHandle(_wintun, 1);
        var session = new SafeWintunSessionHandle(_wintun, 2, adapter);
        adapter.Dispose();
        var time = TimeProvider.System;
        _queue = new WintunQueue(_wintun, session, "bench", Batch, new ReadSpin(TimeSpan.FromMicroseconds(12), 800_000_000, time.TimestampFrequency), time, NullLogger.Instance);
        _batch = new PacketBatch(Batch);
        _packets = new Packet[Batch];
        for (int i = 0; i < Batch; i++)
        {
            byte[] buffer = new byte[64 + PacketSize + 64];
            packet.CopyTo(buffer, 64);
            _packets[i] = new Packet { Buffer = buffer, Offset = 64, Length = PacketSize };
        }

        _slab = GC.AllocateArray<byte>(Batch * (128 + 65536), pinned: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _queue.Dispose();
        _wintun.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int CopyOnly()
    {
        int pos = 0;
        for (int i = 0; i < Batch; i++)
        {
            new ReadOnlySpan<byte>(_wintun.Slot(i), PacketSize).CopyTo(_slab.AsSpan(pos + 64, PacketSize));
            pos += (128 + PacketSize + 63) & ~63;
        }

        return pos;
    }

    [Benchmark]
    public int Read()
    {
        _wintun.Available = Batch;
        _queue.Read(_batch);
        return _batch.Count;
    }

    [Benchmark]
    public int Write()
    {
        int accepted = 0;
        for (int i = 0; i < Batch; i++)
        {
            accepted += _queue.Write(_packets[i]).IsNone ? 1 : 0;
        }

        return accepted;
    }
}
