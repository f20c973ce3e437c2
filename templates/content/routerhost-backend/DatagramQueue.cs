using System.Net.Sockets;
using RouterHost.Abstractions;

namespace RouterHostBackend1;

/// <summary>
/// The interface's queue: <see cref="Read"/> fills a batch with the datagrams the peer sent (one packet each),
/// <see cref="Write"/> sends a packet to the peer as one datagram.
/// </summary>
/// <remarks>
/// <para>Threading: one reader thread calls <see cref="Read"/>; the write path (<see cref="Write"/>, <see cref="Flush"/>)
/// is called by one thread at a time, possibly another than the reader's; <see cref="WriteFromSelf"/> may run beside
/// the write path (so it uses nothing the write path uses but the socket, whose sends are safe from several threads);
/// <see cref="Close"/> comes from any thread.</para>
/// <para>Allocation: the packet buffers are allocated once, here (pinned, one slot of <c>Mtu</c> bytes behind
/// <see cref="PacketBatch.EmitHeadroom"/> bytes of headroom per batch entry); <see cref="Read"/> and <see cref="Write"/>
/// allocate nothing and throw nothing: a failure is a counted drop. The bytes a batch borrows stay valid until the
/// next <see cref="Read"/>, which reuses the slots.</para>
/// </remarks>
internal sealed class DatagramQueue : IQueue
{
    /// <summary>How long <see cref="Read"/> waits for a datagram before it looks whether the queue was closed.</summary>
    private const int PollMicroseconds = 200_000;

    /// <summary>Registered once: a datagram the socket could not receive, or a packet it could not send.</summary>
    private static readonly DropReason ReceiveFailed = DropReason.Register("RouterHostBackend1.receive_failed");

    private readonly Socket _socket;
    private readonly byte[] _buffer;
    private readonly int _slotSize;
    private readonly int _slots;
    private readonly int _mtu;
    private volatile bool _closed;

    /// <summary>Allocates the queue's slots: one per batch entry.</summary>
    public DatagramQueue(Socket socket, int mtu, int batchSize)
    {
        _socket = socket;
        _mtu = mtu;
        _slots = batchSize;
        // One byte more than the MTU, so a datagram that does not fit shows as longer than the MTU.
        _slotSize = PacketBatch.EmitHeadroom + mtu + 1;
        _buffer = GC.AllocateArray<byte>(_slotSize * _slots, pinned: true);
    }

    /// <summary>The queue's index within its interface (this backend has one queue).</summary>
    public int Index => 0;

    /// <summary>
    /// Waits for the peer's datagrams and appends each as a packet, as many as are ready (up to the batch's capacity);
    /// returns false once <see cref="Close"/> was called. A datagram longer than the MTU, or one the socket reports an
    /// error for (the peer's port unreachable), is counted in <see cref="PacketBatch.ReadDrops"/>.
    /// </summary>
    public bool Read(PacketBatch batch)
    {
        batch.Clear();
        while (!_closed)
        {
            SocketError error;
            int slot = 0;
            while (slot < _slots && !batch.IsFull && _socket.Available > 0)
            {
                int offset = slot * _slotSize + PacketBatch.EmitHeadroom;
                int length = _socket.Receive(_buffer.AsSpan(offset, _mtu + 1), SocketFlags.None, out error);
                if (error != SocketError.Success)
                {
                    batch.ReadDrops.Add(error == SocketError.MessageSize ? DropReason.TooLarge : ReceiveFailed);
                    continue;
                }

                if (length > _mtu)
                {
                    batch.ReadDrops.Add(DropReason.TooLarge);
                    continue;
                }

                if (length > 0)
                {
                    batch.Append(_buffer, offset, length);
                    slot++;
                }
            }

            if (batch.Count > 0 || batch.ReadDrops.Total > 0)
            {
                return true;
            }

            // Nothing ready: wait for the next datagram (or, every PollMicroseconds, look whether Close was called).
            _ = _socket.Poll(PollMicroseconds, SelectMode.SelectRead);
        }

        return false;
    }

    /// <summary>Sends <paramref name="packet"/> to the peer as one datagram; a failure is a drop, never an exception.</summary>
    public DropReason Write(in Packet packet)
    {
        if (packet.Length > _mtu)
        {
            return DropReason.TooLarge;
        }

        _ = _socket.Send(packet.Data, SocketFlags.None, out SocketError error);
        return error == SocketError.Success ? DropReason.None : DropReason.WriteFailed;
    }

    /// <summary>Sends a packet the host itself made (an ICMP error, say); may run beside the write path.</summary>
    public DropReason WriteFromSelf(in Packet packet) => Write(packet);

    /// <summary>Nothing is held back: every <see cref="Write"/> has sent its datagram already.</summary>
    public void Flush(DropTally drops)
    {
    }

    /// <summary>Ends <see cref="Read"/> (within <see cref="PollMicroseconds"/>); any thread, idempotent.</summary>
    public void Close() => _closed = true;

    /// <summary>The socket belongs to the container, which closes it.</summary>
    public void Dispose() => _closed = true;
}
