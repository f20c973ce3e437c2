using System.Buffers.Binary;
using System.Text;

namespace RouterHost.Samples.Capture.Pcapng;

/// <summary>Which way a captured packet went, as pcapng's <c>epb_flags</c> direction bits say it.</summary>
public enum CaptureDirection : byte
{
    /// <summary>Not said (bits 00).</summary>
    Unknown = 0,

    /// <summary>Inbound (bits 01).</summary>
    Inbound = 1,

    /// <summary>Outbound (bits 10).</summary>
    Outbound = 2,
}

/// <summary>
/// Formats pcapng blocks (draft-ietf-opsawg-pcapng) into a caller's buffer, little-endian: a Section Header Block,
/// Interface Description Blocks (link type <see cref="LinkTypeRaw"/>: the packet starts at its IP header; nanosecond
/// timestamps through <c>if_tsresol</c> = 9) and Enhanced Packet Blocks (with the direction in <c>epb_flags</c>).
/// Every block and option is padded to 32 bits. Allocation-free except for the UTF-8 of names.
/// </summary>
public static class PcapngBlocks
{
    /// <summary>Section Header Block type; also reads the same in either byte order.</summary>
    public const uint SectionHeaderType = 0x0A0D0D0A;

    /// <summary>Interface Description Block type.</summary>
    public const uint InterfaceDescriptionType = 1;

    /// <summary>Enhanced Packet Block type.</summary>
    public const uint EnhancedPacketType = 6;

    /// <summary>The byte-order magic, written in the file's byte order (little-endian here).</summary>
    public const uint ByteOrderMagic = 0x1A2B3C4D;

    /// <summary>LINKTYPE_RAW: raw IP, version in the first nibble (IPv4 or IPv6).</summary>
    public const ushort LinkTypeRaw = 101;

    /// <summary>The largest snap length Wireshark accepts for a packet (WTAP_MAX_PACKET_SIZE_STANDARD).</summary>
    public const int MaxSnapLength = 262144;

    /// <summary><c>if_tsresol</c> value: 10^-9 seconds per timestamp unit.</summary>
    public const byte NanosecondResolution = 9;

    private const ushort OptEndOfOpt = 0;
    private const ushort OptShbUserAppl = 4;
    private const ushort OptIfName = 2;
    private const ushort OptIfDescription = 3;
    private const ushort OptIfTsResol = 9;
    private const ushort OptEpbFlags = 2;

    /// <summary>Bytes of a Section Header Block naming <paramref name="application"/>.</summary>
    public static int SectionHeaderLength(string application) => 28 + OptionLength(Encoding.UTF8.GetByteCount(application)) + 4;

    /// <summary>Bytes of an Interface Description Block with these names.</summary>
    public static int InterfaceDescriptionLength(string name, string? description) =>
        20 + OptionLength(Encoding.UTF8.GetByteCount(name))
        + (description is null ? 0 : OptionLength(Encoding.UTF8.GetByteCount(description)))
        + OptionLength(1) + 4;

    /// <summary>Bytes of an Enhanced Packet Block carrying <paramref name="capturedLength"/> bytes.</summary>
    public static int EnhancedPacketLength(int capturedLength) => 32 + Pad4(capturedLength) + OptionLength(4) + 4;

    /// <summary>Writes a Section Header Block (version 1.0, section length unknown); returns its length.</summary>
    public static int WriteSectionHeader(Span<byte> destination, string application)
    {
        int length = SectionHeaderLength(application);
        Span<byte> block = destination[..length];
        block.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block, SectionHeaderType);
        BinaryPrimitives.WriteUInt32LittleEndian(block[4..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(block[8..], ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(block[12..], 1);
        BinaryPrimitives.WriteUInt16LittleEndian(block[14..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(block[16..], -1);
        int at = 24;
        at += WriteTextOption(block[at..], OptShbUserAppl, application);
        at += WriteEndOfOptions(block[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(block[at..], (uint)length);
        return length;
    }

    /// <summary>Writes an Interface Description Block for a raw-IP port; returns its length.</summary>
    public static int WriteInterfaceDescription(Span<byte> destination, string name, string? description, int snapLength)
    {
        int length = InterfaceDescriptionLength(name, description);
        Span<byte> block = destination[..length];
        block.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(block, InterfaceDescriptionType);
        BinaryPrimitives.WriteUInt32LittleEndian(block[4..], (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(block[8..], LinkTypeRaw);
        BinaryPrimitives.WriteUInt16LittleEndian(block[10..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(block[12..], (uint)snapLength);
        int at = 16;
        at += WriteTextOption(block[at..], OptIfName, name);
        if (description is not null)
        {
            at += WriteTextOption(block[at..], OptIfDescription, description);
        }

        BinaryPrimitives.WriteUInt16LittleEndian(block[at..], OptIfTsResol);
        BinaryPrimitives.WriteUInt16LittleEndian(block[(at + 2)..], 1);
        block[at + 4] = NanosecondResolution;
        at += OptionLength(1);
        at += WriteEndOfOptions(block[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(block[at..], (uint)length);
        return length;
    }

    /// <summary>
    /// Writes an Enhanced Packet Block: <paramref name="captured"/> (the first bytes of the packet, at most the snap
    /// length) of a packet <paramref name="originalLength"/> bytes long, seen at <paramref name="timestampNanoseconds"/>
    /// (nanoseconds since the Unix epoch) on interface <paramref name="interfaceId"/>; returns its length.
    /// </summary>
    public static int WriteEnhancedPacket(
        Span<byte> destination,
        uint interfaceId,
        long timestampNanoseconds,
        ReadOnlySpan<byte> captured,
        int originalLength,
        CaptureDirection direction)
    {
        int length = EnhancedPacketLength(captured.Length);
        Span<byte> block = destination[..length];
        BinaryPrimitives.WriteUInt32LittleEndian(block, EnhancedPacketType);
        BinaryPrimitives.WriteUInt32LittleEndian(block[4..], (uint)length);
        BinaryPrimitives.WriteUInt32LittleEndian(block[8..], interfaceId);
        ulong timestamp = (ulong)timestampNanoseconds;
        BinaryPrimitives.WriteUInt32LittleEndian(block[12..], (uint)(timestamp >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(block[16..], (uint)timestamp);
        BinaryPrimitives.WriteUInt32LittleEndian(block[20..], (uint)captured.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(block[24..], (uint)originalLength);
        captured.CopyTo(block[28..]);
        int at = 28 + captured.Length;
        int padded = 28 + Pad4(captured.Length);
        block[at..padded].Clear();
        at = padded;
        BinaryPrimitives.WriteUInt16LittleEndian(block[at..], OptEpbFlags);
        BinaryPrimitives.WriteUInt16LittleEndian(block[(at + 2)..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(block[(at + 4)..], (uint)direction & 3);
        at += 8;
        at += WriteEndOfOptions(block[at..]);
        BinaryPrimitives.WriteUInt32LittleEndian(block[at..], (uint)length);
        return length;
    }

    /// <summary><paramref name="value"/> rounded up to a multiple of 4.</summary>
    public static int Pad4(int value) => (value + 3) & ~3;

    private static int OptionLength(int valueLength) => 4 + Pad4(valueLength);

    private static int WriteTextOption(Span<byte> destination, ushort code, string text)
    {
        int count = Encoding.UTF8.GetBytes(text, destination[4..]);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, code);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], (ushort)count);
        return OptionLength(count);
    }

    private static int WriteEndOfOptions(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, OptEndOfOpt);
        return 4;
    }
}
