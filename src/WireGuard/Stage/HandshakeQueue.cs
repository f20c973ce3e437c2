using RouterHost.Underlay;
using RouterHost.WireGuard.Protocol;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// Handshake messages on their way from the receive lanes to the handshake thread: a bounded lock-free queue
/// (Vyukov's ring: a sequence number per cell) of copies, so a flood of initiations costs the data path a copy of
/// 148 bytes each and can never grow memory. Many producers, one consumer. Its fill level is the stage's measure of
/// load: past an eighth full, the responder asks for cookies (as wireguard-go does).
/// </summary>
internal sealed class HandshakeQueue
{
    private const int CellBytes = MessageLayout.InitiationSize;

    private readonly long[] _sequence;
    private readonly byte[] _data;
    private readonly int[] _length;
    private readonly UdpEndpoint[] _source;
    private readonly UdpEndpoint[] _destination;
    private readonly long[] _receivedMs;
    private readonly int[] _sourceQueue;
    private readonly int _mask;
    private long _enqueue;
    private long _dequeue;

    public HandshakeQueue(int capacity)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The handshake queue's capacity must be a power of two.");
        }

        _mask = capacity - 1;
        _sequence = new long[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _sequence[i] = i;
        }

        _data = new byte[capacity * CellBytes];
        _length = new int[capacity];
        _source = new UdpEndpoint[capacity];
        _destination = new UdpEndpoint[capacity];
        _receivedMs = new long[capacity];
        _sourceQueue = new int[capacity];
    }

    public int Capacity => _mask + 1;

    /// <summary>About how many messages wait (exact when no thread is enqueueing or dequeueing).</summary>
    public int Count => (int)Math.Clamp(Volatile.Read(ref _enqueue) - Volatile.Read(ref _dequeue), 0, Capacity);

    /// <summary>
    /// Copies a message in, with where it came from (<paramref name="sourceQueue"/>: the stage source that read it, so
    /// its lane can later send what waited for the session); false when the queue is full.
    /// </summary>
    public bool TryEnqueue(ReadOnlySpan<byte> message, in UdpEndpoint source, in UdpEndpoint destination, int sourceQueue, long nowMs)
    {
        if (message.Length > CellBytes)
        {
            return false;
        }

        long position = Volatile.Read(ref _enqueue);
        while (true)
        {
            int cell = (int)(position & _mask);
            long sequence = Volatile.Read(ref _sequence[cell]);
            long difference = sequence - position;
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _enqueue, position + 1, position);
                if (seen == position)
                {
                    message.CopyTo(_data.AsSpan(cell * CellBytes, CellBytes));
                    _length[cell] = message.Length;
                    _source[cell] = source;
                    _destination[cell] = destination;
                    _receivedMs[cell] = nowMs;
                    _sourceQueue[cell] = sourceQueue;
                    Volatile.Write(ref _sequence[cell], position + 1);
                    return true;
                }

                position = seen;
            }
            else if (difference < 0)
            {
                return false;
            }
            else
            {
                position = Volatile.Read(ref _enqueue);
            }
        }
    }

    /// <summary>Takes the oldest message (the consumer thread only).</summary>
    public bool TryDequeue(Span<byte> message, out int length, out UdpEndpoint source, out UdpEndpoint destination, out int sourceQueue, out long receivedMs)
    {
        long position = _dequeue;
        int cell = (int)(position & _mask);
        if (Volatile.Read(ref _sequence[cell]) != position + 1)
        {
            length = 0;
            source = default;
            destination = default;
            sourceQueue = 0;
            receivedMs = 0;
            return false;
        }

        length = _length[cell];
        _data.AsSpan(cell * CellBytes, length).CopyTo(message);
        source = _source[cell];
        destination = _destination[cell];
        receivedMs = _receivedMs[cell];
        sourceQueue = _sourceQueue[cell];
        Volatile.Write(ref _sequence[cell], position + _mask + 1);
        Volatile.Write(ref _dequeue, position + 1);
        return true;
    }
}
