using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Converts between virtio-net headers and <see cref="GsoInfo"/>. Decoding trusts nothing the header says that
/// the packet can tell us itself (as wireguard-go's tun/offload_linux.go does): the header length is re-derived
/// from the IP and L4 headers, csum_start/csum_offset must point at the real L4 checksum, the GSO type must
/// agree with the IP version and protocol, and a superpacket needs a non-zero segment size.
/// </summary>
public static class VirtioOffload
{
    /// <summary>Decodes the virtio header in <paramref name="virtioHeader"/> for the IP packet <paramref name="packet"/> that follows it.</summary>
    public static DropReason Decode(ReadOnlySpan<byte> virtioHeader, ReadOnlySpan<byte> packet, out GsoInfo gso)
    {
        if (!VirtioNetHeader.TryRead(virtioHeader, out VirtioNetHeader header))
        {
            gso = default;
            return PacketDropReasons.VirtioTruncated;
        }

        return Decode(header, packet, out gso);
    }

    /// <summary>Decodes <paramref name="header"/> for the IP packet <paramref name="packet"/> it came with.</summary>
    public static DropReason Decode(in VirtioNetHeader header, ReadOnlySpan<byte> packet, out GsoInfo gso)
    {
        gso = default;
        bool needsChecksum = (header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0;
        bool ecn = (header.GsoType & VirtioNetHeader.GsoEcn) != 0;
        byte type = (byte)(header.GsoType & ~VirtioNetHeader.GsoEcn);

        if (type == VirtioNetHeader.GsoNone)
        {
            if (ecn)
            {
                return PacketDropReasons.VirtioUnsupportedGsoType;
            }

            if (needsChecksum)
            {
                // Without GSO the fields are only used to finish the checksum; bounds are all that must hold.
                if (header.ChecksumStart >= packet.Length)
                {
                    return PacketDropReasons.VirtioBadChecksumStart;
                }

                if (header.ChecksumOffset > packet.Length - header.ChecksumStart - 2)
                {
                    return PacketDropReasons.VirtioBadChecksumOffset;
                }

                gso.NeedsChecksum = true;
                gso.ChecksumStart = header.ChecksumStart;
                gso.ChecksumOffset = header.ChecksumOffset;
            }

            return DropReason.None;
        }

        GsoType gsoType;
        byte protocol;
        int l4ChecksumOffset;
        switch (type)
        {
            case VirtioNetHeader.GsoTcpV4:
                gsoType = GsoType.TcpV4;
                protocol = IpProtocol.Tcp;
                l4ChecksumOffset = TcpHeader.ChecksumOffset;
                break;
            case VirtioNetHeader.GsoTcpV6:
                gsoType = GsoType.TcpV6;
                protocol = IpProtocol.Tcp;
                l4ChecksumOffset = TcpHeader.ChecksumOffset;
                break;
            case VirtioNetHeader.GsoUdpL4 when !ecn:
                gsoType = GsoType.UdpL4;
                protocol = IpProtocol.Udp;
                l4ChecksumOffset = UdpHeader.ChecksumOffset;
                break;
            default:
                return PacketDropReasons.VirtioUnsupportedGsoType;
        }

        if (header.GsoSize == 0)
        {
            return PacketDropReasons.VirtioZeroGsoSize;
        }

        DropReason reason = PacketParser.Parse(packet, out PacketLayout layout);
        if (!reason.IsNone)
        {
            return reason;
        }

        bool versionAgrees = gsoType switch
        {
            GsoType.TcpV4 => layout.IpVersion == 4,
            GsoType.TcpV6 => layout.IpVersion == 6,
            _ => true,
        };
        if (!versionAgrees || layout.Protocol != protocol)
        {
            return PacketDropReasons.VirtioGsoTypeMismatch;
        }

        if (layout.IsFragment)
        {
            return PacketDropReasons.VirtioGsoFragment;
        }

        if (needsChecksum)
        {
            if (header.ChecksumStart != layout.TransportOffset)
            {
                return PacketDropReasons.VirtioBadChecksumStart;
            }

            if (header.ChecksumOffset != l4ChecksumOffset)
            {
                return PacketDropReasons.VirtioBadChecksumOffset;
            }
        }

        // hdr_len is only a hint (the kernel may report the whole first packet on the forward path); the
        // headers the segments repeat are exactly the IP and L4 headers the packet really has.
        int headerLength = layout.PayloadOffset;
        if (layout.PacketLength <= headerLength)
        {
            return PacketDropReasons.GsoEmptyPayload;
        }

        gso.Type = gsoType;
        gso.SegmentSize = header.GsoSize;
        gso.HeaderLength = (ushort)headerLength;
        gso.ChecksumStart = layout.TransportOffset;
        gso.ChecksumOffset = (ushort)l4ChecksumOffset;
        gso.NeedsChecksum = needsChecksum;
        gso.Ecn = ecn;
        return DropReason.None;
    }

    /// <summary>
    /// Encodes <paramref name="gso"/> as a virtio-net header into the first 10 bytes of
    /// <paramref name="destination"/>. False when the space is short or the metadata cannot be expressed
    /// (a superpacket must have a segment size and NEEDS_CSUM, since the kernel finishes each segment's checksum).
    /// </summary>
    public static bool TryEncode(in GsoInfo gso, Span<byte> destination)
    {
        byte flags = gso.NeedsChecksum ? VirtioNetHeader.FlagNeedsChecksum : (byte)0;
        ushort checksumStart = gso.NeedsChecksum ? gso.ChecksumStart : (ushort)0;
        ushort checksumOffset = gso.NeedsChecksum ? gso.ChecksumOffset : (ushort)0;
        byte type;
        switch (gso.Type)
        {
            case GsoType.None:
                return new VirtioNetHeader(flags, VirtioNetHeader.GsoNone, 0, 0, checksumStart, checksumOffset).TryWrite(destination);
            case GsoType.TcpV4:
                type = VirtioNetHeader.GsoTcpV4;
                break;
            case GsoType.TcpV6:
                type = VirtioNetHeader.GsoTcpV6;
                break;
            case GsoType.UdpL4 when !gso.Ecn:
                type = VirtioNetHeader.GsoUdpL4;
                break;
            default:
                return false;
        }

        if (gso.SegmentSize == 0 || !gso.NeedsChecksum)
        {
            return false;
        }

        if (gso.Ecn)
        {
            type |= VirtioNetHeader.GsoEcn;
        }

        return new VirtioNetHeader(flags, type, gso.HeaderLength, gso.SegmentSize, checksumStart, checksumOffset).TryWrite(destination);
    }

    /// <summary>
    /// Finishes the checksum of an ordinary packet marked NEEDS_CSUM, in place: sums from
    /// <see cref="GsoInfo.ChecksumStart"/> to the end (the field already holds the pseudo-header sum) and stores
    /// the result at <see cref="GsoInfo.ChecksumStart"/> + <see cref="GsoInfo.ChecksumOffset"/>. Clears
    /// <see cref="GsoInfo.NeedsChecksum"/>. Does nothing for a packet that does not need it.
    /// </summary>
    public static DropReason CompleteChecksum(Span<byte> packet, ref GsoInfo gso)
    {
        if (!gso.NeedsChecksum)
        {
            return DropReason.None;
        }

        if (gso.IsSuperpacket)
        {
            // Each segment gets its own checksum when the superpacket is split.
            return PacketDropReasons.GsoHeaderMismatch;
        }

        int start = gso.ChecksumStart;
        if (start >= packet.Length)
        {
            return PacketDropReasons.VirtioBadChecksumStart;
        }

        if (gso.ChecksumOffset > packet.Length - start - 2)
        {
            return PacketDropReasons.VirtioBadChecksumOffset;
        }

        Span<byte> field = packet.Slice(start + gso.ChecksumOffset, 2);
        ushort checksum = InternetChecksum.Compute(packet[start..]);

        // As the kernel's skb_checksum_help: 0 becomes 0xFFFF, its one's-complement twin, so UDP never reads "none".
        BinaryPrimitives.WriteUInt16BigEndian(field, checksum == 0 ? (ushort)0xFFFF : checksum);
        gso.NeedsChecksum = false;
        return DropReason.None;
    }
}
