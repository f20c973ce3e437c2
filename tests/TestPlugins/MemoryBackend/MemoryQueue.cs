using System.Threading.Channels;
using RouterHost.Abstractions;

namespace RouterHost.TestPlugins.MemoryBackend;

/// <summary>
/// One in-memory queue. Channel mode: <c>RouterHost.Memory/{exchange}/{interface}/{queue}/in</c> (a
/// <see cref="Channel{T}"/> of byte[]) feeds <see cref="Read"/>; written packets appear on <c>.../out</c>
/// (Write; a superpacket whole when <c>Gso</c> is on) and <c>.../self</c> (WriteFromSelf). Generate mode: Read
/// returns prebuilt packets forever and writes are only counted, so it allocates nothing.
/// </summary>
internal sealed class MemoryQueue : IQueue, IGsoWriter
{
    private const int Headroom = 128;

    private readonly string[] _keys;
    private readonly Channel<byte[]>? _in;
    private readonly Channel<byte[]>? _out;
    private readonly Channel<byte[]>? _self;
    private readonly byte[][] _slots;
    private readonly int _batchSize;
    private readonly bool _generate;
    private readonly bool _gso;
    private readonly CancellationTokenSource _closed = new();
    private readonly long _failAfterReads;
    private readonly bool _refuseAtFlush;
    private int _held;
    private long _reads;
    private int _next;

    public MemoryQueue(string iface, string exchange, int index, bool generate, int packetSize, bool gso, int batchSize, long failAfterReads, bool refuseAtFlush)
    {
        _refuseAtFlush = refuseAtFlush;
        _failAfterReads = failAfterReads;
        Index = index;
        _gso = gso;
        _generate = generate;
        _batchSize = batchSize;
        string prefix = $"RouterHost.Memory/{exchange}/{iface}/{index}/";
        _keys = [prefix + "in", prefix + "out", prefix + "self"];
        if (generate)
        {
            // A handful of distinct IPv4/UDP packets, reused round-robin.
            _slots = new byte[batchSize][];
            for (int i = 0; i < _slots.Length; i++)
            {
                _slots[i] = GC.AllocateArray<byte>(Headroom + packetSize, pinned: true);
                BuildUdpPacket(_slots[i].AsSpan(Headroom, packetSize), i);
            }
        }
        else
        {
            _slots = new byte[batchSize][];
            for (int i = 0; i < _slots.Length; i++)
            {
                _slots[i] = GC.AllocateArray<byte>(Headroom + 65535, pinned: true);
            }

            _in = Channel.CreateUnbounded<byte[]>();
            _out = Channel.CreateUnbounded<byte[]>();
            _self = Channel.CreateUnbounded<byte[]>();
            AppContext.SetData(_keys[0], _in);
            AppContext.SetData(_keys[1], _out);
            AppContext.SetData(_keys[2], _self);
        }
    }

    public int Index { get; }

    /// <summary>With <c>Gso</c> on, Write takes superpackets of every type whole (and writes them out as they are).</summary>
    public bool AcceptsGso(GsoType type) => _gso && type != GsoType.None;

    public long WrittenPackets { get; private set; }

    public long WrittenBytes { get; private set; }

    public bool Read(PacketBatch batch)
    {
        batch.Clear();
        if (_closed.IsCancellationRequested)
        {
            return false;
        }

        if (_failAfterReads >= 0 && _reads++ >= _failAfterReads)
        {
            throw new IOException($"simulated: memory device queue {Index} vanished (EBADFD)");
        }

        if (_generate)
        {
            int n = Math.Min(_batchSize, batch.Capacity);
            for (int i = 0; i < n; i++)
            {
                byte[] slot = _slots[_next];
                _next = _next + 1 == _slots.Length ? 0 : _next + 1;
                batch.Append(slot, Headroom, slot.Length - Headroom);
            }

            return true;
        }

        ChannelReader<byte[]> reader = _in!.Reader;
        while (true)
        {
            int slot = 0;
            while (slot < _slots.Length && !batch.IsFull && reader.TryRead(out byte[]? packet))
            {
                if (packet.Length > _slots[slot].Length - Headroom)
                {
                    batch.ReadDrops.Add(DropReason.TooLarge);
                    continue;
                }

                packet.CopyTo(_slots[slot].AsSpan(Headroom));
                batch.Append(_slots[slot], Headroom, packet.Length);
                slot++;
            }

            if (batch.Count > 0 || batch.ReadDrops.Total > 0)
            {
                return true;
            }

            try
            {
                if (!reader.WaitToReadAsync(_closed.Token).AsTask().GetAwaiter().GetResult())
                {
                    return false;
                }
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    public DropReason Write(in Packet packet)
    {
        if (_refuseAtFlush)
        {
            _held++;
            return DropReason.None;
        }

        WrittenPackets++;
        WrittenBytes += packet.Length;
        _out?.Writer.TryWrite(packet.Data.ToArray());
        return DropReason.None;
    }

    public DropReason WriteFromSelf(in Packet packet)
    {
        _self?.Writer.TryWrite(packet.Data.ToArray());
        return DropReason.None;
    }

    public void Flush(DropTally drops)
    {
        if (_held > 0)
        {
            drops.Add(DropReason.QueueFull, _held);
            _held = 0;
        }
    }

    public void Close() => _closed.Cancel();

    public void Dispose()
    {
        Close();
        if (_in is not null)
        {
            foreach (string key in _keys)
            {
                AppContext.SetData(key, null);
            }

            _out!.Writer.TryComplete();
            _self!.Writer.TryComplete();
        }

        _closed.Dispose();
    }

    private static void BuildUdpPacket(Span<byte> p, int seed)
    {
        p.Clear();
        p[0] = 0x45;
        p[2] = (byte)(p.Length >> 8);
        p[3] = (byte)p.Length;
        p[8] = 64;
        p[9] = 17;
        p[12] = 10;
        p[15] = (byte)(seed + 1);
        p[16] = 10;
        p[17] = 1;
        p[19] = 1;
        if (p.Length >= 28)
        {
            p[20] = 0x30;
            p[21] = 0x39;
            p[22] = 0x13;
            p[23] = 0x89;
            int udpLength = p.Length - 20;
            p[24] = (byte)(udpLength >> 8);
            p[25] = (byte)udpLength;
        }

        // The IPv4 header checksum, which routers verify.
        uint sum = 0;
        for (int i = 0; i < 20; i += 2)
        {
            sum += (uint)((p[i] << 8) | p[i + 1]);
        }

        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        p[10] = (byte)(~sum >> 8);
        p[11] = (byte)~sum;
    }
}
