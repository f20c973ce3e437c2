using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>A validated read-only view of a UDP header (RFC 768).</summary>
public readonly ref struct UdpHeader
{
    /// <summary>The header length.</summary>
    public const int Length = 8;

    /// <summary>Offset of the checksum field within the header.</summary>
    public const int ChecksumOffset = 6;

    private readonly ReadOnlySpan<byte> _header;

    private UdpHeader(ReadOnlySpan<byte> header) => _header = header;

    /// <summary>
    /// Reads the UDP header at the start of <paramref name="datagram"/> (the L4 bytes of one packet). The length
    /// field must be at least 8 and, unless <paramref name="isFirstFragment"/> (whose datagram continues in
    /// later fragments), no more than the bytes present.
    /// </summary>
    public static DropReason TryRead(ReadOnlySpan<byte> datagram, out UdpHeader header, bool isFirstFragment = false)
    {
        header = default;
        if (datagram.Length < Length)
        {
            return PacketDropReasons.UdpTruncated;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]);
        if (length < Length || (!isFirstFragment && length > datagram.Length))
        {
            return PacketDropReasons.UdpBadLength;
        }

        header = new UdpHeader(datagram[..Length]);
        return DropReason.None;
    }

    /// <summary>The 8 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _header;

    /// <summary>The source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_header);

    /// <summary>The destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_header[2..]);

    /// <summary>The length field: header plus payload.</summary>
    public ushort DatagramLength => BinaryPrimitives.ReadUInt16BigEndian(_header[4..]);

    /// <summary>The checksum field (0 over IPv4 means "none").</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_header[6..]);
}
