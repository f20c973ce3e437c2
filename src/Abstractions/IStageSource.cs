namespace RouterHost.Abstractions;

/// <summary>
/// A stage that reads packets of its own, such as a tunnel stage's UDP sockets. The runner serves each of its
/// <see cref="Sources"/> with a thread of its own, run to completion like an interface queue: a batch read from
/// a source enters the chain <b>at this stage</b>, walking <see cref="PacketDirection.Inbound"/> (this stage
/// first, then the stages inside it), and afterwards goes to each packet's <see cref="Packet.Egress"/>: an
/// interface's queue, or for a peer (one peer sending to another) the stage that owns that peer, which the runner
/// hands the packet to walking outbound.
/// <para>
/// Packets read from a source are the stage's until it claims them: <see cref="Packet.IsFromStageSource"/> is true
/// (they carry no <see cref="Packet.Ingress"/>), <see cref="Packet.IngressQueue"/> is the source's index in
/// <see cref="Sources"/> and <see cref="Packet.SourceSlot"/> the source's own handle for the datagram (a UDP source
/// resolves its sender from it). The stage recognizes its own datagrams that way, turns them into packets (decrypts
/// them in place) and sets their ingress (the peer), or consumes them (handshakes, keepalives).
/// <see cref="Packet.Mark"/> is left to the stages.
/// </para>
/// <para>
/// A source may end a read with no packet (a wake): the runner then ends the batch as any other, calling every
/// worker's <see cref="IStageWorker.EndBatch"/> on that lane. That is how work a stage's other threads hand to a lane
/// (packets that waited for a session) leaves promptly when the lane has no traffic of its own.
/// </para>
/// <para>
/// On shutdown the runner closes every source (<see cref="IPacketReader.Close"/> must wake a blocked
/// read), joins its threads, and only then disposes the stage, which releases the sources.
/// </para>
/// </summary>
public interface IStageSource
{
    /// <summary>
    /// The readers this stage reads, indexed by <see cref="IPacketReader.Index"/>; fixed once <see cref="IStage.Start"/>
    /// returned. A source only reads: what the stage sends leaves by its own means (its sockets, at
    /// <see cref="IStageWorker.EndBatch"/>).
    /// </summary>
    IReadOnlyList<IPacketReader> Sources { get; }
}
