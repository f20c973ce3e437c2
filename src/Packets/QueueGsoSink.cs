using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>Delivers a coalescer's output to an <see cref="IQueue"/> that supports GSO. Allocate once per queue.</summary>
public sealed class QueueGsoSink : IGsoSink
{
    private readonly IQueue _queue;

    /// <summary>Wraps <paramref name="queue"/>.</summary>
    public QueueGsoSink(IQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        _queue = queue;
    }

    /// <inheritdoc />
    public DropReason Write(in Packet packet) => _queue.Write(packet);

    /// <inheritdoc />
    public DropReason WriteGso(Span<byte> header, ReadOnlySpan<ReadOnlyMemory<byte>> payloads, in GsoInfo gso) =>
        _queue.GsoSupported ? _queue.WriteGso(header, payloads, gso) : DropReason.GsoUnsupported;
}
