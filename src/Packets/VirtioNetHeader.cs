using System.Buffers.Binary;

namespace RouterHost.Packets;

/// <summary>
/// <c>struct virtio_net_hdr</c> (linux/virtio_net.h), the 10-byte little-endian prefix a TUN device opened with
/// IFF_VNET_HDR puts before every packet. This is the raw wire form; <see cref="VirtioOffload"/> turns it into
/// a checked <see cref="RouterHost.Abstractions.GsoInfo"/> and back.
/// </summary>
public readonly record struct VirtioNetHeader(
    byte Flags,
    byte GsoType,
    ushort HeaderLength,
    ushort GsoSize,
    ushort ChecksumStart,
    ushort ChecksumOffset)
{
    /// <summary>The header's size on the wire (without the num_buffers field of the mergeable-buffers variant).</summary>
    public const int Length = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: checksum from csum_start, store at csum_start + csum_offset.</summary>
    public const byte FlagNeedsChecksum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was already verified.</summary>
    public const byte FlagDataValid = 2;

    /// <summary>VIRTIO_NET_HDR_GSO_NONE.</summary>
    public const byte GsoNone = 0;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV4.</summary>
    public const byte GsoTcpV4 = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP (UFO, IP fragmentation offload; obsolete and refused).</summary>
    public const byte GsoUdp = 3;

    /// <summary>VIRTIO_NET_HDR_GSO_TCPV6.</summary>
    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP_L4 (USO).</summary>
    public const byte GsoUdpL4 = 5;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN, or-ed into the GSO type: the TCP stream uses ECN (CWR on the first segment).</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>Reads the header from the first 10 bytes; false when fewer are present.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out VirtioNetHeader header)
    {
        if (source.Length < Length)
        {
            header = default;
            return false;
        }

        header = new VirtioNetHeader(
            source[0],
            source[1],
            BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[6..]),
            BinaryPrimitives.ReadUInt16LittleEndian(source[8..]));
        return true;
    }

    /// <summary>Writes the header into the first 10 bytes; false when fewer are available.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            return false;
        }

        destination[0] = Flags;
        destination[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], ChecksumOffset);
        return true;
    }
}
