using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// A validated read-only view of the common 8-byte ICMPv4 (RFC 792) or ICMPv6 (RFC 4443) header: type, code,
/// checksum and the 4 type-specific bytes (identifier and sequence for echo, MTU for "too big", unused for
/// most errors).
/// </summary>
public readonly ref struct IcmpHeader
{
    /// <summary>The header length.</summary>
    public const int Length = 8;

    /// <summary>Offset of the checksum field within the header.</summary>
    public const int ChecksumOffset = 2;

    /// <summary>Offset of the type byte.</summary>
    public const int TypeOffset = 0;

    /// <summary>Offset of the code byte.</summary>
    public const int CodeOffset = 1;

    /// <summary>Offset of the echo identifier (and of the rest of the header).</summary>
    public const int IdentifierOffset = 4;

    private readonly ReadOnlySpan<byte> _header;

    private IcmpHeader(ReadOnlySpan<byte> header) => _header = header;

    /// <summary>Reads the ICMP header at the start of <paramref name="message"/> (the L4 bytes of one packet).</summary>
    public static DropReason TryRead(ReadOnlySpan<byte> message, out IcmpHeader header)
    {
        header = default;
        if (message.Length < Length)
        {
            return PacketDropReasons.IcmpTruncated;
        }

        header = new IcmpHeader(message[..Length]);
        return DropReason.None;
    }

    /// <summary>The 8 header bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _header;

    /// <summary>The message type.</summary>
    public byte Type => _header[TypeOffset];

    /// <summary>The message code.</summary>
    public byte Code => _header[CodeOffset];

    /// <summary>The checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_header[2..]);

    /// <summary>The echo identifier (bytes 4-5), meaningful for echo requests and replies.</summary>
    public ushort Identifier => BinaryPrimitives.ReadUInt16BigEndian(_header[IdentifierOffset..]);

    /// <summary>The echo sequence number (bytes 6-7), meaningful for echo requests and replies.</summary>
    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_header[6..]);

    /// <summary>The 4 type-specific bytes.</summary>
    public ReadOnlySpan<byte> RestOfHeader => _header[4..];
}
