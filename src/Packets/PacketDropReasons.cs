using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// The reasons the packet primitives refuse input, registered once so a refusal is a counter increment.
/// <see cref="DropReason.None"/> means the input was accepted.
/// </summary>
public static class PacketDropReasons
{
    /// <summary>Empty, or too short for any IP header.</summary>
    public static DropReason Truncated { get; } = DropReason.Register("packet.truncated");

    /// <summary>The version nibble is neither 4 nor 6.</summary>
    public static DropReason BadIpVersion { get; } = DropReason.Register("packet.ip.bad_version");

    /// <summary>IPv4 IHL below 5 or beyond the buffer.</summary>
    public static DropReason Ipv4BadIhl { get; } = DropReason.Register("packet.ipv4.bad_ihl");

    /// <summary>IPv4 total length shorter than the header or longer than the buffer.</summary>
    public static DropReason Ipv4BadTotalLength { get; } = DropReason.Register("packet.ipv4.bad_total_length");

    /// <summary>An IPv4 fragment that would reassemble past 65535 bytes.</summary>
    public static DropReason Ipv4BadFragment { get; } = DropReason.Register("packet.ipv4.bad_fragment");

    /// <summary>The IPv4 header checksum does not verify: the header was damaged on the way (RFC 1812 5.2.2).</summary>
    public static DropReason Ipv4BadChecksum { get; } = DropReason.Register("packet.ipv4.bad_checksum");

    /// <summary>An IPv4 option whose length runs past the header or is below 2.</summary>
    public static DropReason Ipv4BadOption { get; } = DropReason.Register("packet.ipv4.bad_option");

    /// <summary>
    /// An IPv4 loose or strict source-route option (LSRR, SSRR): the sender choosing the path through the network is
    /// refused, as hosts and routers have done by default since RFC 7126 (it defeats address-based filtering).
    /// </summary>
    public static DropReason Ipv4SourceRoute { get; } = DropReason.Register("packet.ipv4.source_route");

    /// <summary>An IPv6 type-0 routing header, deprecated by RFC 5095 (it made traffic amplification possible).</summary>
    public static DropReason Ipv6RoutingType0 { get; } = DropReason.Register("packet.ipv6.routing_type0");

    /// <summary>IPv6 payload length longer than the buffer. (Jumbograms, whose length is 0, fail as truncated headers.)</summary>
    public static DropReason Ipv6BadPayloadLength { get; } = DropReason.Register("packet.ipv6.bad_payload_length");

    /// <summary>An IPv6 extension header runs past the packet, or hop-by-hop is not first.</summary>
    public static DropReason Ipv6BadExtensionHeader { get; } = DropReason.Register("packet.ipv6.bad_extension_header");

    /// <summary>More IPv6 extension headers than any legitimate packet carries.</summary>
    public static DropReason Ipv6TooManyExtensionHeaders { get; } = DropReason.Register("packet.ipv6.too_many_extension_headers");

    /// <summary>An IPv6 fragment whose fragment data would reassemble past 65535 bytes, or is not a multiple of 8.</summary>
    public static DropReason Ipv6BadFragment { get; } = DropReason.Register("packet.ipv6.bad_fragment");

    /// <summary>The TCP header does not fit in the packet.</summary>
    public static DropReason TcpTruncated { get; } = DropReason.Register("packet.tcp.truncated");

    /// <summary>TCP data offset below 5 or past the end of the segment.</summary>
    public static DropReason TcpBadDataOffset { get; } = DropReason.Register("packet.tcp.bad_data_offset");

    /// <summary>The UDP header does not fit in the packet.</summary>
    public static DropReason UdpTruncated { get; } = DropReason.Register("packet.udp.truncated");

    /// <summary>UDP length below 8 or past the end of the packet.</summary>
    public static DropReason UdpBadLength { get; } = DropReason.Register("packet.udp.bad_length");

    /// <summary>The ICMP header does not fit in the packet.</summary>
    public static DropReason IcmpTruncated { get; } = DropReason.Register("packet.icmp.truncated");

    /// <summary>Shorter than the 10-byte virtio-net header.</summary>
    public static DropReason VirtioTruncated { get; } = DropReason.Register("packet.virtio.truncated");

    /// <summary>A GSO type this router does not take (UFO, unknown values, ECN without TCP).</summary>
    public static DropReason VirtioUnsupportedGsoType { get; } = DropReason.Register("packet.virtio.unsupported_gso_type");

    /// <summary>The GSO type disagrees with the packet's IP version or protocol.</summary>
    public static DropReason VirtioGsoTypeMismatch { get; } = DropReason.Register("packet.virtio.gso_type_mismatch");

    /// <summary>A GSO packet with a segment size of zero.</summary>
    public static DropReason VirtioZeroGsoSize { get; } = DropReason.Register("packet.virtio.zero_gso_size");

    /// <summary>csum_start is not where the packet's L4 header starts, or is past its end.</summary>
    public static DropReason VirtioBadChecksumStart { get; } = DropReason.Register("packet.virtio.bad_csum_start");

    /// <summary>csum_offset does not name the L4 checksum field, or the field runs past the packet.</summary>
    public static DropReason VirtioBadChecksumOffset { get; } = DropReason.Register("packet.virtio.bad_csum_offset");

    /// <summary>A GSO superpacket that is also an IP fragment.</summary>
    public static DropReason VirtioGsoFragment { get; } = DropReason.Register("packet.virtio.gso_fragment");

    /// <summary>Asked to segment something that is not a superpacket.</summary>
    public static DropReason GsoNotSuperpacket { get; } = DropReason.Register("packet.gso.not_superpacket");

    /// <summary>The superpacket's GSO metadata disagrees with its headers.</summary>
    public static DropReason GsoHeaderMismatch { get; } = DropReason.Register("packet.gso.header_mismatch");

    /// <summary>A superpacket with no payload after its headers.</summary>
    public static DropReason GsoEmptyPayload { get; } = DropReason.Register("packet.gso.empty_payload");

    /// <summary>A superpacket whose IPv6 extension headers the segmenter does not rewrite (routing, fragment).</summary>
    public static DropReason GsoUnsupportedExtensionHeader { get; } = DropReason.Register("packet.gso.unsupported_extension_header");

    /// <summary>Fewer destination buffers than segments.</summary>
    public static DropReason GsoTooManySegments { get; } = DropReason.Register("packet.gso.too_many_segments");

    /// <summary>A destination buffer too small for its segment.</summary>
    public static DropReason GsoDestinationTooSmall { get; } = DropReason.Register("packet.gso.destination_too_small");
}
