using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// A validated read-only view of an IPv4 header (RFC 791). <see cref="TryRead"/> checks the version, IHL and
/// total length against the buffer, so every property reads in bounds.
/// </summary>
public readonly ref struct Ipv4Header
{
    /// <summary>The length of a header without options.</summary>
    public const int MinLength = 20;

    /// <summary>The "don't fragment" flag in <see cref="FlagsAndFragmentOffset"/>.</summary>
    public const ushort DontFragmentFlag = 0x4000;

    /// <summary>The "more fragments" flag in <see cref="FlagsAndFragmentOffset"/>.</summary>
    public const ushort MoreFragmentsFlag = 0x2000;

    /// <summary>Offset of the flags and fragment offset word.</summary>
    public const int FlagsOffset = 6;

    /// <summary>Offset of the time-to-live byte.</summary>
    public const int TimeToLiveOffset = 8;

    /// <summary>Offset of the protocol byte.</summary>
    public const int ProtocolOffset = 9;

    /// <summary>Offset of the source address.</summary>
    public const int SourceOffset = 12;

    /// <summary>Offset of the destination address.</summary>
    public const int DestinationOffset = 16;

    /// <summary>The length of an address.</summary>
    public const int AddressLength = 4;

    private const ushort FragmentOffsetMask = 0x1FFF;

    private readonly ReadOnlySpan<byte> _header;

    private Ipv4Header(ReadOnlySpan<byte> header) => _header = header;

    /// <summary>
    /// Reads the header at the start of <paramref name="packet"/>. Returns <see cref="DropReason.None"/> with a
    /// view whose <see cref="Bytes"/> are the header (options included), or the reason the header is unusable.
    /// Bytes past the total length (link padding) are allowed.
    /// </summary>
    public static DropReason TryRead(ReadOnlySpan<byte> packet, out Ipv4Header header)
    {
        header = default;
        DropReason reason = IpPacket.CheckFixedHeader(packet, 4, MinLength);
        if (!reason.IsNone)
        {
            return reason;
        }

        int headerLength = HeaderLengthOf(packet);
        if (headerLength < MinLength || headerLength > packet.Length)
        {
            return PacketDropReasons.Ipv4BadIhl;
        }

        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (totalLength < headerLength || totalLength > packet.Length)
        {
            return PacketDropReasons.Ipv4BadTotalLength;
        }

        ushort fragment = BinaryPrimitives.ReadUInt16BigEndian(packet[FlagsOffset..]);
        if ((fragment & FragmentOffsetMask) * 8 + (totalLength - headerLength) > ushort.MaxValue)
        {
            return PacketDropReasons.Ipv4BadFragment;
        }

        header = new Ipv4Header(packet[..headerLength]);
        return DropReason.None;
    }

    /// <summary>The header bytes, options included.</summary>
    public ReadOnlySpan<byte> Bytes => _header;

    /// <summary>The header length in bytes (IHL * 4).</summary>
    public int HeaderLength => _header.Length;

    /// <summary>Whether the header carries options.</summary>
    public bool HasOptions => _header.Length > MinLength;

    /// <summary>The type-of-service byte (DSCP and ECN).</summary>
    public byte TypeOfService => _header[1];

    /// <summary>The length of the whole datagram, header included.</summary>
    public ushort TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_header[2..]);

    /// <summary>The identification field.</summary>
    public ushort Identification => BinaryPrimitives.ReadUInt16BigEndian(_header[4..]);

    /// <summary>The flags and fragment offset word as it appears on the wire.</summary>
    public ushort FlagsAndFragmentOffset => BinaryPrimitives.ReadUInt16BigEndian(_header[FlagsOffset..]);

    /// <summary>Whether DF is set.</summary>
    public bool DontFragment => (FlagsAndFragmentOffset & DontFragmentFlag) != 0;

    /// <summary>Whether MF is set.</summary>
    public bool MoreFragments => (FlagsAndFragmentOffset & MoreFragmentsFlag) != 0;

    /// <summary>The fragment offset in bytes.</summary>
    public int FragmentOffset => (FlagsAndFragmentOffset & FragmentOffsetMask) * 8;

    /// <summary>Whether this is any fragment of a larger datagram (MF set or a non-zero offset).</summary>
    public bool IsFragment => (FlagsAndFragmentOffset & (MoreFragmentsFlag | FragmentOffsetMask)) != 0;

    /// <summary>Time to live.</summary>
    public byte TimeToLive => _header[TimeToLiveOffset];

    /// <summary>The protocol of the payload.</summary>
    public byte Protocol => _header[ProtocolOffset];

    /// <summary>The header checksum field.</summary>
    public ushort Checksum => BinaryPrimitives.ReadUInt16BigEndian(_header[10..]);

    /// <summary>The source address (4 bytes).</summary>
    public ReadOnlySpan<byte> Source => _header.Slice(SourceOffset, AddressLength);

    /// <summary>The destination address (4 bytes).</summary>
    public ReadOnlySpan<byte> Destination => _header.Slice(DestinationOffset, AddressLength);

    /// <summary>The options (empty when IHL is 5).</summary>
    public ReadOnlySpan<byte> Options => _header[MinLength..];

    /// <summary>Whether the header checksum verifies.</summary>
    public bool ChecksumValid => InternetChecksum.Verifies(_header);

    /// <summary>The header length the IHL of <paramref name="header"/> (not empty) says, unchecked: for quotes and headers being written.</summary>
    public static int HeaderLengthOf(ReadOnlySpan<byte> header) => (header[0] & 0x0F) * 4;

    /// <summary>
    /// Writes a 20-byte header without options into <paramref name="header"/> (at least 20 bytes): version and IHL,
    /// the type of service, <paramref name="totalLength"/>, identification 0, the flags word, the TTL, the protocol,
    /// the addresses (4 bytes each) and the checksum.
    /// </summary>
    public static void Write(
        Span<byte> header, byte typeOfService, int totalLength, ushort flags, byte timeToLive, byte protocol,
        ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        header = header[..MinLength];
        header.Clear();
        header[0] = 0x45;
        header[1] = typeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(header[FlagsOffset..], flags);
        header[TimeToLiveOffset] = timeToLive;
        header[ProtocolOffset] = protocol;
        source.CopyTo(header[SourceOffset..]);
        destination.CopyTo(header[DestinationOffset..]);
        WriteChecksum(header);
    }

    /// <summary>Recomputes the header checksum of a writable IPv4 header in place (its IHL bounds the sum).</summary>
    public static void WriteChecksum(Span<byte> header)
    {
        if (header.Length < MinLength)
        {
            return;
        }

        int headerLength = Math.Min(HeaderLengthOf(header), header.Length);
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum.Compute(header[..headerLength]));
    }
}
