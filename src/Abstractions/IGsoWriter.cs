namespace RouterHost.Abstractions;

/// <summary>
/// An optional capability of an <see cref="IPacketWriter"/> (a device queue with segmentation offload): its
/// <see cref="IPacketWriter.Write"/> takes superpackets (see <see cref="Packet.Gso"/>) of the types it accepts, and
/// segments or hands them to the device itself. The host asks once per queue, when it plans its lanes, never per
/// packet; to a writer without it (or for a type it does not accept) the host writes segments.
/// </summary>
public interface IGsoWriter : IPacketWriter
{
    /// <summary>
    /// Whether <see cref="IPacketWriter.Write"/> takes a superpacket of <paramref name="type"/>. Fixed for the writer's
    /// lifetime: the host asks once and remembers the answer.
    /// </summary>
    bool AcceptsGso(GsoType type);
}
