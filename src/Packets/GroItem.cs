namespace RouterHost.Packets;

/// <summary>
/// One output unit of <see cref="GroCoalescer"/>: a packet passed through as is, or the growing superpacket of
/// one flow (a linked list of held packets). Plain fields: it lives in a preallocated array.
/// </summary>
internal struct GroItem
{
    /// <summary>Index of the first packet (whose headers the superpacket reuses).</summary>
    public int Head;

    /// <summary>Index of the last packet appended, for linking the next.</summary>
    public int Tail;

    /// <summary>How many packets are merged (1 = written as is).</summary>
    public int Segments;

    /// <summary>Whether a later packet of the flow may still join.</summary>
    public bool Open;

    /// <summary>Whether this is a TCP (not UDP) superpacket candidate.</summary>
    public bool IsTcp;

    /// <summary>Whether a merged packet carried PSH, which the superpacket's header then carries.</summary>
    public bool Push;

    /// <summary>Whether the head is IPv6.</summary>
    public bool IsIPv6;

    /// <summary>The flow hash, to skip most key comparisons.</summary>
    public uint Hash;

    /// <summary>Where the L4 header starts.</summary>
    public int TransportOffset;

    /// <summary>IP + L4 header bytes.</summary>
    public int HeaderLength;

    /// <summary>Payload bytes per segment: the head's payload.</summary>
    public int SegmentSize;

    /// <summary>The superpacket's IP length so far.</summary>
    public int TotalLength;

    /// <summary>The TCP sequence number the next segment must have.</summary>
    public uint NextSequence;
}
