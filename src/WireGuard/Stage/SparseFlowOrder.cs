using RouterHost.Abstractions;
using RouterHost.Packets;

namespace RouterHost.WireGuard.Stage;

/// <summary>
/// Orders one batch's packets so that sparse flows leave before bulk ones, the way fq_codel's new-flow list serves a
/// flow that sent little before one that keeps a queue: a ping, a DNS query or a lone ACK read in the same batch as a
/// bulk flow's 64 KB superpackets is sealed and sent before them instead of after the whole batch.
/// <para>
/// Each packet's flow is <see cref="Packet.FlowHash"/>, the routing stage's 5-tuple hash (computed here with
/// <see cref="RouterHost.Packets.FlowHash"/> when no stage did), taken into one of <see cref="Buckets"/> buckets:
/// the fragments of one datagram hash alike (on the 3-tuple), and a packet that does not parse hashes with the others
/// that do not. A bucket whose packets in this batch add up to at most
/// <see cref="QuantumBytes"/> (a superpacket counts with its whole length) is sparse. <see cref="Order"/> lists
/// the sparse buckets' packets first and then the others, each part in batch order: packets of one flow share a
/// bucket, so they are never reordered among themselves; two flows that share a bucket are both sparse or both bulk.
/// Nothing is added, lost or duplicated: the order is a permutation of the batch.
/// </para>
/// One instance per lane; allocation-free after construction, no locks.
/// </summary>
internal sealed class SparseFlowOrder
{
    /// <summary>Buckets flows are hashed into (a power of two).</summary>
    public const int Buckets = 1024;

    /// <summary>The default quantum: one full Ethernet frame, as fq_codel's.</summary>
    public const int DefaultQuantumBytes = 1514;

    private readonly int[] _bytes = new int[Buckets];
    private readonly int[] _stamps = new int[Buckets];
    private readonly int[] _bucketOf;
    private readonly int[] _order;
    private int _stamp;

    /// <summary>An orderer for batches of up to <paramref name="capacity"/> packets.</summary>
    /// <param name="capacity">The largest batch it orders; a larger one keeps its batch order.</param>
    /// <param name="quantumBytes">Bytes a flow may have in one batch and still count as sparse.</param>
    public SparseFlowOrder(int capacity, int quantumBytes = DefaultQuantumBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(quantumBytes, 1);
        _bucketOf = new int[capacity];
        _order = new int[capacity];
        QuantumBytes = quantumBytes;
    }

    /// <summary>Bytes a flow may have in one batch and still count as sparse.</summary>
    public int QuantumBytes { get; }

    /// <summary>The largest batch ordered.</summary>
    public int Capacity => _order.Length;

    /// <summary>
    /// The batch positions in sending order after <see cref="Order"/> returned more than 0: the first that many are
    /// the sparse flows' packets. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<int> Positions => _order;

    /// <summary>
    /// Orders <paramref name="packets"/>: returns how many of <see cref="Positions"/> are sparse flows' packets to go
    /// first, or 0 when the batch order stands (no sparse flow, no bulk flow, or a batch larger than
    /// <see cref="Capacity"/>).
    /// </summary>
    public int Order(ReadOnlySpan<Packet> packets)
    {
        int n = packets.Length;
        if (n < 2 || n > _order.Length)
        {
            return 0;
        }

        int stamp = ++_stamp;
        if (stamp == 0)
        {
            // Wrapped after 2^32 batches: start the stamps over so no bucket looks current.
            Array.Clear(_stamps);
            stamp = _stamp = 1;
        }

        int[] bytes = _bytes;
        int[] stamps = _stamps;
        int[] bucketOf = _bucketOf;
        for (int i = 0; i < n; i++)
        {
            ref readonly Packet p = ref packets[i];
            uint hash = p.FlowHash != 0 ? p.FlowHash : FlowHash.Compute(p.Data);
            int b = (int)(hash & (Buckets - 1));
            bucketOf[i] = b;
            if (stamps[b] != stamp)
            {
                stamps[b] = stamp;
                bytes[b] = 0;
            }

            // Saturating: a bucket past the quantum is bulk however far past.
            int length = p.Length;
            bytes[b] = bytes[b] > QuantumBytes ? bytes[b] : bytes[b] + length;
        }

        int sparse = 0;
        for (int i = 0; i < n; i++)
        {
            if (bytes[bucketOf[i]] <= QuantumBytes)
            {
                sparse++;
            }
        }

        if (sparse == 0 || sparse == n)
        {
            return 0;
        }

        int front = 0;
        int back = sparse;
        int[] order = _order;
        for (int i = 0; i < n; i++)
        {
            if (bytes[bucketOf[i]] <= QuantumBytes)
            {
                order[front++] = i;
            }
            else
            {
                order[back++] = i;
            }
        }

        return sparse;
    }
}
