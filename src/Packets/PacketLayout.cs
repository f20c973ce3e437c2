namespace RouterHost.Packets;

/// <summary>
/// Where the headers of one IP packet lie, as found and bounds-checked by <see cref="PacketParser.Parse"/>.
/// Every offset and length is within the packet, so slicing with them never throws. Offsets count from the
/// first byte of the IP header.
/// </summary>
public readonly struct PacketLayout
{
    internal PacketLayout(
        byte ipVersion,
        byte protocol,
        int transportOffset,
        int packetLength,
        int fragmentOffset,
        bool isFragment,
        bool moreFragments,
        int transportHeaderLength,
        int payloadLength,
        ushort sourcePort,
        ushort destinationPort)
    {
        IpVersion = ipVersion;
        Protocol = protocol;
        TransportOffset = (ushort)transportOffset;
        PacketLength = (ushort)packetLength;
        FragmentOffset = (ushort)fragmentOffset;
        IsFragment = isFragment;
        MoreFragments = moreFragments;
        TransportHeaderLength = (byte)transportHeaderLength;
        PayloadLength = (ushort)payloadLength;
        SourcePort = sourcePort;
        DestinationPort = destinationPort;
    }

    /// <summary>4 or 6.</summary>
    public byte IpVersion { get; }

    /// <summary>The upper-layer protocol: after any IPv6 extension headers (see <see cref="IpProtocol"/>).</summary>
    public byte Protocol { get; }

    /// <summary>Where the L4 header starts: the IPv4 header length, or 40 plus the IPv6 extension headers.</summary>
    public ushort TransportOffset { get; }

    /// <summary>The IP packet's own length (IPv4 total length, or 40 plus the IPv6 payload length); bytes past it are padding.</summary>
    public ushort PacketLength { get; }

    /// <summary>Whether the packet is a fragment (first or later) of a larger datagram.</summary>
    public bool IsFragment { get; }

    /// <summary>Whether more fragments follow.</summary>
    public bool MoreFragments { get; }

    /// <summary>The fragment's offset in bytes; non-zero means no L4 header is present.</summary>
    public ushort FragmentOffset { get; }

    /// <summary>Whether a TCP, UDP or ICMP header was found and validated at <see cref="TransportOffset"/>.</summary>
    public bool HasTransportHeader => TransportHeaderLength != 0;

    /// <summary>The length of that L4 header (TCP data offset * 4, 8 for UDP and ICMP), or 0 when none.</summary>
    public byte TransportHeaderLength { get; }

    /// <summary>Where the L4 payload starts.</summary>
    public int PayloadOffset => TransportOffset + TransportHeaderLength;

    /// <summary>The L4 payload's length (for UDP, as its length field says, which may be shorter than the IP payload).</summary>
    public ushort PayloadLength { get; }

    /// <summary>The L4 length the pseudo-header covers: header plus payload.</summary>
    public int TransportLength => TransportHeaderLength + PayloadLength;

    /// <summary>The TCP or UDP source port; 0 for other protocols.</summary>
    public ushort SourcePort { get; }

    /// <summary>The TCP or UDP destination port; 0 for other protocols.</summary>
    public ushort DestinationPort { get; }

    /// <summary>Whether this is IPv6.</summary>
    public bool IsIPv6 => IpVersion == 6;
}
