namespace RouterHost.Abstractions;

/// <summary>What a port is: where packets enter and leave the router.</summary>
public enum PortKind : byte
{
    /// <summary>Not set.</summary>
    None = 0,

    /// <summary>A configured interface, backed by a backend's container.</summary>
    Interface = 1,

    /// <summary>A peer reached through a stage (e.g. a WireGuard peer of the encryption stage).</summary>
    Peer = 2,

    /// <summary>The router itself (packets it originates or that are addressed to it).</summary>
    Local = 3,
}
