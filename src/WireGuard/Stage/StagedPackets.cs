using System.Buffers;
using RouterHost.Abstractions;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// Packets for a peer that has no session yet, kept (copied) until the handshake completes, as wireguard-go stages
/// them: at most <see cref="Capacity"/>; when full the oldest is dropped for the newest. Only used before a session
/// exists, never in steady state; a short lock guards it because several lanes may stage for one peer at once, and the
/// lane that sends them once the session is usable (<see cref="WireGuardWorker.EndBatch"/>) drains it meanwhile.
/// </summary>
internal sealed class StagedPackets
{
    public const int Capacity = 128;

    private readonly Lock _lock = new();
    // Grown on first use, not preallocated: a hub of thousands of idle peers would hold 128 empty entries each (4 KiB).
    private readonly Queue<StagedPacket> _queue = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Keeps a copy of <paramref name="packet"/>; true when an older one had to be dropped for it.</summary>
    public bool Stage(in Packet packet)
    {
        byte[] copy = ArrayPool<byte>.Shared.Rent(packet.Length);
        packet.Data.CopyTo(copy);
        var staged = new StagedPacket(copy, packet.Length, packet.Gso);
        lock (_lock)
        {
            bool evicted = false;
            if (_queue.Count >= Capacity)
            {
                ArrayPool<byte>.Shared.Return(_queue.Dequeue().Buffer);
                evicted = true;
            }

            _queue.Enqueue(staged);
            return evicted;
        }
    }

    /// <summary>Takes every staged packet, oldest first; the caller returns each buffer with <see cref="Release"/>.</summary>
    public int Drain(List<StagedPacket> into)
    {
        lock (_lock)
        {
            int n = _queue.Count;
            while (_queue.TryDequeue(out StagedPacket staged))
            {
                into.Add(staged);
            }

            return n;
        }
    }

    /// <summary>Drops everything staged; returns how many.</summary>
    public int Clear()
    {
        lock (_lock)
        {
            int n = _queue.Count;
            while (_queue.TryDequeue(out StagedPacket staged))
            {
                ArrayPool<byte>.Shared.Return(staged.Buffer);
            }

            return n;
        }
    }

    public static void Release(in StagedPacket staged) => ArrayPool<byte>.Shared.Return(staged.Buffer);
}

/// <summary>A copied packet waiting for a session.</summary>
internal readonly record struct StagedPacket(byte[] Buffer, int Length, GsoInfo Gso);
