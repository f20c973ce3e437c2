namespace RouterHost.Abstractions;

/// <summary>What a stage decided about a packet. Anything but <see cref="Forward"/> removes it from the batch.</summary>
public enum PacketVerdict : byte
{
    /// <summary>The packet continues to the next stage, and after the last one to its egress.</summary>
    Forward = 0,

    /// <summary>Dropped; counted under <see cref="Packet.DropReason"/>.</summary>
    Dropped = 1,

    /// <summary>Refused with a reply the stage emitted; counted under <see cref="Packet.DropReason"/>.</summary>
    Rejected = 2,

    /// <summary>Taken by the stage (sent to a peer, queued, answered); it leaves the chain here.</summary>
    Consumed = 3,
}
