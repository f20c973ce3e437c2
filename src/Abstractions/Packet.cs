using System.Runtime.CompilerServices;

namespace RouterHost.Abstractions;

/// <summary>
/// One packet in a <see cref="PacketBatch"/>: a window (<see cref="Offset"/>, <see cref="Length"/>) onto a
/// buffer with headroom before it and tailroom after it, so headers (WireGuard, virtio-net, Ethernet) are
/// written in place and encryption runs in place. The bytes are borrowed from whoever filled the batch and
/// are valid only until that owner's next read; a stage that needs them longer copies them.
/// Stages reach packets by reference (<c>ref Packet p = ref batch[i]</c>) and set a verdict on them.
/// </summary>
public struct Packet
{
    /// <summary>The whole buffer: headroom, packet bytes, tailroom.</summary>
    public Memory<byte> Buffer;

    /// <summary>Where the packet (its IP header) starts in <see cref="Buffer"/>; also the headroom available.</summary>
    public int Offset;

    /// <summary>The packet's length in bytes.</summary>
    public int Length;

    /// <summary>Offload metadata; for a superpacket, <see cref="Length"/> covers every segment's payload.</summary>
    public GsoInfo Gso;

    /// <summary>
    /// Where it entered: an interface (with <see cref="IngressQueue"/>) or a peer. <see cref="PortId.None"/> while
    /// it is a datagram read from a stage's own source that its stage has not claimed yet (see
    /// <see cref="IsFromStageSource"/>).
    /// </summary>
    public PortId Ingress;

    /// <summary>
    /// The queue index of the ingress interface it was read from; for a packet from a stage's own source, the
    /// source's index in <see cref="IStageSource.Sources"/>.
    /// </summary>
    public ushort IngressQueue;

    /// <summary>Where it goes; set by routing (or any stage). None at the end of the chain is a drop.</summary>
    public PortId Egress;

    /// <summary>
    /// The neighbour on <see cref="Egress"/> that takes the packet, for backends that address frames to a
    /// neighbour (Ethernet): 0 means the destination itself (directly connected); any other value is an id in the
    /// router's <see cref="Routing.INextHopTable"/>, set by the routing stage together with <see cref="Egress"/>.
    /// </summary>
    public int NextHop;

    /// <summary>A stage's decision; anything but <see cref="PacketVerdict.Forward"/> takes it out of the batch.</summary>
    public PacketVerdict Verdict;

    /// <summary>Why it was dropped or rejected.</summary>
    public DropReason DropReason;

    /// <summary>A flow hash for ECMP and queue selection; 0 until someone computes it.</summary>
    public uint FlowHash;

    /// <summary>Free for stages to tag packets (like a netfilter mark).</summary>
    public uint Mark;

    /// <summary>
    /// The reading queue's own handle for the datagram this packet came in (a UDP source: the receive slot that
    /// resolves who sent it), set by <see cref="IPacketReader.Read"/> and valid until that queue's next read. Only a
    /// stage's own sources set it (see <see cref="IStageSource"/>); 0 otherwise.
    /// </summary>
    public SourceSlot SourceSlot;

    /// <summary>The packet bytes.</summary>
    public readonly Span<byte> Data
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Buffer.Span.Slice(Offset, Length);
    }

    /// <summary>Bytes free before the packet.</summary>
    public readonly int Headroom => Offset;

    /// <summary>Bytes free after the packet.</summary>
    public readonly int Tailroom => Buffer.Length - Offset - Length;

    /// <summary>
    /// Whether the packet is a datagram read from a stage's own source (<see cref="IStageSource"/>) that no stage has
    /// claimed yet: the runner gives such packets no <see cref="Ingress"/>, and the owning stage (which finds its
    /// source by <see cref="IngressQueue"/> and the datagram by <see cref="SourceSlot"/>) sets the ingress when it turns
    /// the datagram into a packet (decrypts it). Every other packet in the chain has an ingress (an interface, a peer,
    /// or <see cref="PortId.Local"/> for what the router emits).
    /// </summary>
    public readonly bool IsFromStageSource => Ingress.IsNone;

    /// <summary>Whether the packet is still on its way (no stage has dropped, rejected or consumed it).</summary>
    public readonly bool IsForwarded => Verdict == PacketVerdict.Forward;

    /// <summary>Grows the packet at its front into the headroom; false if there is not enough.</summary>
    public bool TryPrepend(int count)
    {
        if ((uint)count > (uint)Offset)
        {
            return false;
        }

        Offset -= count;
        Length += count;
        return true;
    }

    /// <summary>Removes <paramref name="count"/> bytes from the front; false if the packet is shorter.</summary>
    public bool TryTrimFront(int count)
    {
        if ((uint)count > (uint)Length)
        {
            return false;
        }

        Offset += count;
        Length -= count;
        return true;
    }

    /// <summary>Grows the packet at its end into the tailroom; false if there is not enough.</summary>
    public bool TryAppend(int count)
    {
        if ((uint)count > (uint)Tailroom)
        {
            return false;
        }

        Length += count;
        return true;
    }

    /// <summary>Sets the length; false if it does not fit in the buffer after <see cref="Offset"/>.</summary>
    public bool TrySetLength(int length)
    {
        if ((uint)length > (uint)(Buffer.Length - Offset))
        {
            return false;
        }

        Length = length;
        return true;
    }

    /// <summary>Drops the packet, counted under <paramref name="reason"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Drop(DropReason reason)
    {
        Verdict = PacketVerdict.Dropped;
        DropReason = reason;
    }

    /// <summary>Marks the packet refused; the stage emits the reply itself (see <see cref="PacketBatch.Emitted"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Reject(DropReason reason)
    {
        Verdict = PacketVerdict.Rejected;
        DropReason = reason;
    }

    /// <summary>Takes the packet out of the chain: the stage has delivered or kept it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Consume() => Verdict = PacketVerdict.Consumed;
}
