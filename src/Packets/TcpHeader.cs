using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>A validated read-only view of a TCP header (RFC 9293), options included.</summary>
public readonly ref struct TcpHeader
{
    /// <summary>The length of a header without options.</summary>
    public const int MinLength = 20;

    /// <summary>The longest header (data offset 15).</summary>
    public const int MaxLength = 60;

    /// <summary>Offset of the checksum field within the header.</summary>
    public const int ChecksumOffset = 16;

    /// <summary>Offset of the flags byte (CWR ECE URG ACK PSH RST SYN FIN).</summary>
    public const int FlagsOffset = 13;

    private readonly ReadOnlySpan<byte> _header;

    private TcpHeader(ReadOnlySpan<byte> header) => _header = header;

    /// <summary>Reads the TCP header at the start of <paramref name="segment"/> (the L4 bytes of one packet).</summary>
    public static DropReason TryRead(ReadOnlySpan<byte> segment, out TcpHeader header)
    {
        header = default;
        if (segment.Length < MinLength)
        {
            return PacketDropReasons.TcpTruncated;
        }

        int headerLength = (segment[12] >> 4) * 4;
        if (headerLength < MinLength || headerLength > segment.Length)
        {
            return PacketDropReasons.TcpBadDataOffset;
        }

        header = new TcpHeader(segment[..headerLength]);
        return DropReason.None;
    }

    /// <summary>The header bytes, options included.</summary>
    public ReadOnlySpan<byte> Bytes => _header;

    /// <summary>The header length in bytes (data offset * 4).</summary>
    public int HeaderLength => _header.Length;

    /// <summary>The source port.</summary>
    public ushort SourcePort => BinaryPrimitives.ReadUInt16BigEndian(_header);

    /// <summary>The destination port.</summary>
    public ushort DestinationPort => BinaryPrimitives.ReadUInt16BigEndian(_header[2..]);

    /// <summary>The sequence number.</summary>
    public uint SequenceNumber => BinaryPrimitives.ReadUInt32BigEndian(_header[4..]);

    /// <summary>The acknowledgment number.</summary>
    public uint AcknowledgmentNumber => BinaryPrimitives.ReadUInt32BigEndian(_header[8..]);

    /// <summary>The flags.</summary>
    public TcpFlags Flags => (TcpFlags)_header[FlagsOffset];

    /// <summary>The receive window (unscaled).</summary>
    public ushort Window => BinaryPrimitives.ReadUInt16BigEndian(_header[14..]);

    /// <summary>The checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_header[16..]);

    /// <summary>The urgent pointer.</summary>
    public ushort UrgentPointer => BinaryPrimitives.ReadUInt16BigEndian(_header[18..]);

    /// <summary>The options (empty when the data offset is 5).</summary>
    public ReadOnlySpan<byte> Options => _header[MinLength..];

    /// <summary>
    /// Writes a 20-byte header without options into <paramref name="header"/> (at least 20 bytes): the ports, sequence
    /// and acknowledgment numbers and flags; window, checksum and urgent pointer 0.
    /// </summary>
    public static void Write(Span<byte> header, ushort sourcePort, ushort destinationPort, uint sequence, uint acknowledgment, TcpFlags flags)
    {
        header = header[..MinLength];
        header.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], acknowledgment);
        header[12] = MinLength / 4 << 4;
        header[13] = (byte)flags;
    }
}
