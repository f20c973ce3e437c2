namespace RouterHost.Abstractions;

/// <summary>
/// Which way a packet walks the stage chain. The chain is configured inside to outside.
/// </summary>
public enum PacketDirection : byte
{
    /// <summary>Entered from an interface: walks the chain from the inside stage to the outside stage.</summary>
    Outbound = 0,

    /// <summary>Arrived from the wire (a peer): walks the chain from the outside stage to the inside stage.</summary>
    Inbound = 1,
}
