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

    private readonly ReadOnlySpan<byte> _header;

    private Ipv6Header(ReadOnlySpan<byte> header) => _header = header;

    /// <summary>
    /// Reads the fixed header at the start of <paramref name="packet"/>. Bytes past the payload length are
    /// allowed (and ignored, so a jumbogram's zero payload length leaves nothing to parse).
    /// </summary>
    public static DropReason TryRead(ReadOnlySpan<byte> packet, out Ipv6Header header)
    {
        header = default;
        if (packet.Length < Length)
        {
            return PacketDropReasons.Truncated;
        }

        if (packet[0] >> 4 != 6)
        {
            return PacketDropReasons.BadIpVersion;
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
    public byte NextHeader => _header[6];

    /// <summary>Hop limit.</summary>
    public byte HopLimit => _header[7];

    /// <summary>The source address (16 bytes).</summary>
    public ReadOnlySpan<byte> Source => _header.Slice(8, 16);

    /// <summary>The destination address (16 bytes).</summary>
    public ReadOnlySpan<byte> Destination => _header.Slice(24, 16);
}
