namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// A bounded multi-producer, single-consumer queue of <see cref="NeighbourRequest"/>s (Vyukov's bounded queue: a
/// sequence number per cell), so any number of transmit paths hand requests to the resolver thread without a lock
/// or an allocation. A full queue refuses the request; the packet that wanted it is dropped as unresolved anyway
/// and the next one asks again.
/// </summary>
internal sealed class NeighbourRequestQueue
{
    private readonly Cell[] _cells;
    private readonly long _mask;
    private long _enqueuePosition;
    private long _dequeuePosition;

    public NeighbourRequestQueue(int capacity)
    {
        if (capacity < 2 || (capacity & (capacity - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The capacity is a power of two, at least 2.");
        }

        _cells = new Cell[capacity];
        _mask = capacity - 1;
        for (int i = 0; i < capacity; i++)
        {
            _cells[i].Sequence = i;
        }
    }

    /// <summary>Requests refused because the queue was full.</summary>
    public long Refused;

    /// <summary>Adds a request; false when the queue is full. Any thread.</summary>
    public bool TryEnqueue(in NeighbourRequest request)
    {
        long position = Volatile.Read(ref _enqueuePosition);
        while (true)
        {
            ref Cell cell = ref _cells[position & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            long difference = sequence - position;
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _enqueuePosition, position + 1, position);
                if (seen == position)
                {
                    cell.Request = request;
                    Volatile.Write(ref cell.Sequence, position + 1);
                    return true;
                }

                position = seen;
            }
            else if (difference < 0)
            {
                Interlocked.Increment(ref Refused);
                return false;
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition);
            }
        }
    }

    /// <summary>Takes the oldest request; false when empty. The single consumer only.</summary>
    public bool TryDequeue(out NeighbourRequest request)
    {
        long position = _dequeuePosition;
        ref Cell cell = ref _cells[position & _mask];
        long sequence = Volatile.Read(ref cell.Sequence);
        if (sequence - (position + 1) < 0)
        {
            request = default;
            return false;
        }

        request = cell.Request;
        Volatile.Write(ref cell.Sequence, position + _mask + 1);
        _dequeuePosition = position + 1;
        return true;
    }

    private struct Cell
    {
        public long Sequence;
        public NeighbourRequest Request;
    }
}
