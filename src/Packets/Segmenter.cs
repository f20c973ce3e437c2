using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Splits a TSO/USO superpacket into ordinary packets, written straight into buffers the caller owns (so an
/// encryption stage can segment directly into its send buffers). Every segment gets complete, correct headers:
/// IPv4 total length, per-segment identification and header checksum, or IPv6 payload length; TCP sequence
/// numbers with CWR kept on the first segment only and FIN/PSH on the last only; UDP length; and a full L4
/// checksum. The superpacket's own L4 checksum field is ignored, so it may hold either a final checksum or
/// the NEEDS_CSUM pseudo-header sum. Never throws: bad input returns the reason.
/// </summary>
public static class Segmenter
{
    private const byte TcpFlagsOffset = 13;
    private const byte NotFirstSegmentClears = (byte)TcpFlags.Cwr;
    private const byte NotLastSegmentClears = (byte)(TcpFlags.Fin | TcpFlags.Psh);

    /// <summary>
    /// How many segments <see cref="Segment"/> will produce for this superpacket, or 0 when it cannot be
    /// segmented (the call to <see cref="Segment"/> returns why).
    /// </summary>
    public static int SegmentCount(ReadOnlySpan<byte> superpacket, in GsoInfo gso)
    {
        if (!Validate(superpacket, gso, out PacketLayout layout).IsNone)
        {
            return 0;
        }

        int payload = layout.PacketLength - layout.PayloadOffset;
        return (payload + gso.SegmentSize - 1) / gso.SegmentSize;
    }

    /// <summary>
    /// Checks <paramref name="superpacket"/> as <see cref="Segment"/> does and says how many segments it makes and
    /// how long the headers are that prefix each (from the packet itself, not the GSO info); or why it cannot be
    /// segmented.
    /// </summary>
    public static DropReason Measure(ReadOnlySpan<byte> superpacket, in GsoInfo gso, out int segmentCount, out int headerLength)
    {
        segmentCount = 0;
        headerLength = 0;
        DropReason reason = Validate(superpacket, gso, out PacketLayout layout);
        if (!reason.IsNone)
        {
            return reason;
        }

        headerLength = layout.PayloadOffset;
        int payload = layout.PacketLength - layout.PayloadOffset;
        segmentCount = (payload + gso.SegmentSize - 1) / gso.SegmentSize;
        return DropReason.None;
    }

    /// <summary>
    /// Segments <paramref name="superpacket"/> (the IP packet, starting at its IP header) into
    /// <paramref name="destinations"/>, one segment per destination from the start of each, and stores each
    /// segment's length in <paramref name="segmentLengths"/>. Nothing is written unless every segment fits.
    /// </summary>
    /// <returns><see cref="DropReason.None"/> with <paramref name="segmentCount"/> set, or why it could not segment.</returns>
    public static DropReason Segment(
        ReadOnlySpan<byte> superpacket,
        in GsoInfo gso,
        ReadOnlySpan<Memory<byte>> destinations,
        Span<int> segmentLengths,
        out int segmentCount)
    {
        segmentCount = 0;
        DropReason reason = Validate(superpacket, gso, out PacketLayout layout);
        if (!reason.IsNone)
        {
            return reason;
        }

        int headerLength = layout.PayloadOffset;
        int transportOffset = layout.TransportOffset;
        int payloadLength = layout.PacketLength - headerLength;
        int segmentSize = gso.SegmentSize;
        int count = (payloadLength + segmentSize - 1) / segmentSize;
        if (count > destinations.Length || count > segmentLengths.Length)
        {
            return PacketDropReasons.GsoTooManySegments;
        }

        for (int i = 0; i < count; i++)
        {
            int segmentPayload = Math.Min(segmentSize, payloadLength - (i * segmentSize));
            if (destinations[i].Length < headerLength + segmentPayload)
            {
                return PacketDropReasons.GsoDestinationTooSmall;
            }
        }

        bool isIPv6 = layout.IsIPv6;
        bool isTcp = layout.Protocol == IpProtocol.Tcp;
        ReadOnlySpan<byte> headers = superpacket[..headerLength];
        ushort identification = isIPv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(superpacket[4..]);
        uint sequence = isTcp ? BinaryPrimitives.ReadUInt32BigEndian(superpacket[(transportOffset + 4)..]) : 0;

        // The addresses and protocol are the same for every segment; only the L4 length is added per segment.
        ushort addressSum = PseudoHeaderChecksum.ForPacket(superpacket, layout.Protocol, 0);

        for (int i = 0; i < count; i++)
        {
            int payloadStart = headerLength + (i * segmentSize);
            int segmentPayload = Math.Min(segmentSize, payloadLength - (i * segmentSize));
            int segmentLength = headerLength + segmentPayload;
            Span<byte> segment = destinations[i].Span[..segmentLength];
            headers.CopyTo(segment);
            superpacket.Slice(payloadStart, segmentPayload).CopyTo(segment[headerLength..]);

            if (isIPv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(segmentLength - Ipv6Header.Length));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(segment[2..], (ushort)segmentLength);
                BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)(identification + i));
                Ipv4Header.WriteChecksum(segment[..transportOffset]);
            }

            Span<byte> l4 = segment[transportOffset..];
            int checksumOffset;
            if (isTcp)
            {
                BinaryPrimitives.WriteUInt32BigEndian(l4[4..], sequence + (uint)(i * segmentSize));
                if (i != 0)
                {
                    l4[TcpFlagsOffset] &= unchecked((byte)~NotFirstSegmentClears);
                }

                if (i != count - 1)
                {
                    l4[TcpFlagsOffset] &= unchecked((byte)~NotLastSegmentClears);
                }

                checksumOffset = TcpHeader.ChecksumOffset;
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(l4[4..], (ushort)l4.Length);
                checksumOffset = UdpHeader.ChecksumOffset;
            }

            l4[checksumOffset] = 0;
            l4[checksumOffset + 1] = 0;
            ushort pseudo = InternetChecksum.Add(addressSum, (ushort)l4.Length);
            ushort checksum = InternetChecksum.Compute(l4, pseudo);
            if (checksum == 0 && !isTcp)
            {
                // A computed UDP checksum of 0 is sent as all ones; 0 would mean "no checksum".
                checksum = 0xFFFF;
            }

            BinaryPrimitives.WriteUInt16BigEndian(l4[checksumOffset..], checksum);
            segmentLengths[i] = segmentLength;
        }

        segmentCount = count;
        return DropReason.None;
    }

    private static DropReason Validate(ReadOnlySpan<byte> superpacket, in GsoInfo gso, out PacketLayout layout)
    {
        layout = default;
        if (!gso.IsSuperpacket)
        {
            return PacketDropReasons.GsoNotSuperpacket;
        }

        if (gso.SegmentSize == 0)
        {
            return PacketDropReasons.VirtioZeroGsoSize;
        }

        DropReason reason = PacketParser.Parse(superpacket, out layout);
        if (!reason.IsNone)
        {
            return reason;
        }

        bool agrees = gso.Type switch
        {
            GsoType.TcpV4 => layout.IpVersion == 4 && layout.Protocol == IpProtocol.Tcp,
            GsoType.TcpV6 => layout.IpVersion == 6 && layout.Protocol == IpProtocol.Tcp,
            GsoType.UdpL4 => layout.Protocol == IpProtocol.Udp,
            _ => false,
        };
        if (!agrees || (gso.HeaderLength != 0 && gso.HeaderLength != layout.PayloadOffset))
        {
            return PacketDropReasons.GsoHeaderMismatch;
        }

        if (layout.IsFragment)
        {
            return PacketDropReasons.VirtioGsoFragment;
        }

        if (layout.IsIPv6 && HasRoutingHeader(superpacket, layout.TransportOffset))
        {
            // The pseudo-header would need the final destination from the routing header.
            return PacketDropReasons.GsoUnsupportedExtensionHeader;
        }

        if (layout.PacketLength <= layout.PayloadOffset)
        {
            return PacketDropReasons.GsoEmptyPayload;
        }

        return DropReason.None;
    }

    // The parser has already bounds-checked the chain up to transportOffset; this only looks for its types.
    private static bool HasRoutingHeader(ReadOnlySpan<byte> packet, int transportOffset)
    {
        byte next = packet[6];
        int offset = Ipv6Header.Length;
        while (offset + 2 <= transportOffset)
        {
            if (next == IpProtocol.Routing)
            {
                return true;
            }

            int length = next switch
            {
                IpProtocol.Fragment => 8,
                IpProtocol.AuthenticationHeader => (packet[offset + 1] + 2) * 4,
                _ => (packet[offset + 1] + 1) * 8,
            };
            next = packet[offset];
            offset += length;
        }

        return false;
    }
}
