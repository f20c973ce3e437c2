using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// A validated read-only view of the fixed IPv6 header (RFC 8200). <see cref="TryRead"/> checks the version
/// and payload length against the buffer. Extension headers are walked by <see cref="PacketParser"/>.
/// </summary>
public readonly ref struct Ipv6Header
{
    /// <summary>The length of the fixed header.</summary>
    public const int Length = 40;

    /// <summary>Offset of the next-header byte.</summary>
    public const int NextHeaderOffset = 6;

    /// <summary>Offset of the hop-limit byte.</summary>
    public const int HopLimitOffset = 7;

    /// <summary>Offset of the source address.</summary>
    public const int SourceOffset = 8;

    /// <summary>Offset of the destination address.</summary>
    public const int DestinationOffset = 24;

    /// <summary>The length of an address.</summary>
    public const int AddressLength = 16;

    private readonly ReadOnlySpan<byte> _header;

    private Ipv6Header(ReadOnlySpan<byte> header) => _header = header;

    /// <summary>
    /// Reads the fixed header at the start of <paramref name="packet"/>. Bytes past the payload length are
    /// allowed (and ignored, so a jumbogram's zero payload length leaves nothing to parse).
    /// </summary>
    public static DropReason TryRead(ReadOnlySpan<byte> packet, out Ipv6Header header)
    {
        header = default;
        DropReason reason = IpPacket.CheckFixedHeader(packet, 6, Length);
        if (!reason.IsNone)
        {
            return reason;
        }

        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        if (Length + payloadLength > packet.Length)
        {
            return PacketDropReasons.Ipv6BadPayloadLength;
        }

        header = new Ipv6Header(packet[..Length]);
        return DropReason.None;
    }

    /// <summary>The 40 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _header;

    /// <summary>The traffic class (DSCP and ECN).</summary>
    public byte TrafficClass => (byte)(BinaryPrimitives.ReadUInt16BigEndian(_header) >> 4);

    /// <summary>The 20-bit flow label.</summary>
    public uint FlowLabel => BinaryPrimitives.ReadUInt32BigEndian(_header) & 0xF_FFFF;

    /// <summary>The length of everything after the fixed header.</summary>
    public ushort PayloadLength => BinaryPrimitives.ReadUInt16BigEndian(_header[4..]);

    /// <summary>The type of the first header after the fixed header.</summary>
    public byte NextHeader => _header[NextHeaderOffset];

    /// <summary>Hop limit.</summary>
    public byte HopLimit => _header[HopLimitOffset];

    /// <summary>The source address (16 bytes).</summary>
    public ReadOnlySpan<byte> Source => _header.Slice(SourceOffset, AddressLength);

    /// <summary>The destination address (16 bytes).</summary>
    public ReadOnlySpan<byte> Destination => _header.Slice(DestinationOffset, AddressLength);

    /// <summary>
    /// Writes a fixed header into <paramref name="header"/> (at least 40 bytes): version 6, traffic class
    /// <paramref name="trafficClass"/>, flow label 0, the payload length, next header, hop limit and the addresses
    /// (16 bytes each).
    /// </summary>
    public static void Write(
        Span<byte> header, byte trafficClass, int payloadLength, byte nextHeader, byte hopLimit,
        ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        header = header[..Length];
        header.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)(0x6000 | (trafficClass << 4)));
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)payloadLength);
        header[NextHeaderOffset] = nextHeader;
        header[HopLimitOffset] = hopLimit;
        source.CopyTo(header[SourceOffset..]);
        destination.CopyTo(header[DestinationOffset..]);
    }
}
