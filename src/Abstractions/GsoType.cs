namespace RouterHost.Abstractions;

/// <summary>The kind of segmentation a superpacket needs, neutral of the backend it came from.</summary>
public enum GsoType : byte
{
    /// <summary>An ordinary packet.</summary>
    None = 0,

    /// <summary>TCP over IPv4, segmented at <see cref="GsoInfo.SegmentSize"/> (TSO).</summary>
    TcpV4 = 1,

    /// <summary>TCP over IPv6, segmented at <see cref="GsoInfo.SegmentSize"/> (TSO).</summary>
    TcpV6 = 2,

    /// <summary>UDP (IPv4 or IPv6), split into datagrams of <see cref="GsoInfo.SegmentSize"/> payload bytes (USO).</summary>
    UdpL4 = 3,
}
