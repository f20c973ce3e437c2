namespace RouterHost.Abstractions;

/// <summary>
/// Offload metadata that travels with a packet so a superpacket moves through the stages as one unit and is
/// segmented only where it must be. Offsets are relative to the start of the packet's IP header.
/// A backend fills it from what it read (re-derived and bounds-checked, never trusted blindly); a writer
/// turns it back into the device's own form (e.g. a virtio-net header).
/// </summary>
public struct GsoInfo
{
    /// <summary>The kind of segmentation; <see cref="GsoType.None"/> for an ordinary packet.</summary>
    public GsoType Type;

    /// <summary>Payload bytes per segment (the MSS for TCP); every segment but the last has exactly this many.</summary>
    public ushort SegmentSize;

    /// <summary>Bytes of IP and L4 headers that prefix every segment.</summary>
    public ushort HeaderLength;

    /// <summary>Where checksumming starts (the L4 header) when <see cref="NeedsChecksum"/> is set.</summary>
    public ushort ChecksumStart;

    /// <summary>Offset of the L4 checksum field from <see cref="ChecksumStart"/>.</summary>
    public ushort ChecksumOffset;

    /// <summary>
    /// The L4 checksum is not final: its field holds the folded, non-inverted pseudo-header sum, and the
    /// checksum over <see cref="ChecksumStart"/>.. must still be completed (virtio NEEDS_CSUM semantics).
    /// </summary>
    public bool NeedsChecksum;

    /// <summary>TCP superpacket with ECN: CWR appears on the first segment only.</summary>
    public bool Ecn;

    /// <summary>Whether the packet is a superpacket that needs segmenting.</summary>
    public readonly bool IsSuperpacket => Type != GsoType.None;

    /// <summary>Whether the packet is IPv6 (meaningful for TCP superpackets).</summary>
    public readonly bool IsIPv6 => Type == GsoType.TcpV6;

    /// <inheritdoc />
    public override readonly string ToString() =>
        Type == GsoType.None
            ? (NeedsChecksum ? $"csum {ChecksumStart}+{ChecksumOffset}" : "none")
            : $"{Type} seg {SegmentSize} hdr {HeaderLength} csum {ChecksumStart}+{ChecksumOffset}{(Ecn ? " ecn" : "")}";
}
