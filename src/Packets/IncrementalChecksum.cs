using System.Buffers.Binary;

namespace RouterHost.Packets;

/// <summary>
/// Updates a checksum after rewriting fields it covers, without summing the whole packet again
/// (RFC 1624, equation 3: <c>HC' = ~(~HC + ~m + m')</c>, which never yields the -0 of RFC 1141).
/// </summary>
public static class IncrementalChecksum
{
    /// <summary>The checksum after one 16-bit word changed from <paramref name="oldWord"/> to <paramref name="newWord"/>.</summary>
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord) =>
        (ushort)~InternetChecksum.Fold((uint)(ushort)~checksum + (ushort)~oldWord + newWord);

    /// <summary>The checksum after a 32-bit field (an IPv4 address) changed.</summary>
    public static ushort Update(ushort checksum, uint oldValue, uint newValue)
    {
        ulong sum = (ulong)(ushort)~checksum
            + (ushort)~(ushort)(oldValue >> 16) + (ushort)~(ushort)oldValue
            + (ushort)(newValue >> 16) + (ushort)newValue;
        return (ushort)~InternetChecksum.Fold(sum);
    }

    /// <summary>
    /// Decrements an IPv4 header's TTL in place and patches its header checksum. Returns false (and changes
    /// nothing) when the header is shorter than 20 bytes or the TTL is already 0.
    /// </summary>
    public static bool DecrementTtl(Span<byte> ipv4Header)
    {
        if (ipv4Header.Length < Ipv4Header.MinLength || ipv4Header[8] == 0)
        {
            return false;
        }

        // TTL is the high byte of the word it shares with the protocol.
        ushort oldWord = BinaryPrimitives.ReadUInt16BigEndian(ipv4Header[8..]);
        ushort newWord = (ushort)(oldWord - 0x100);
        ipv4Header[8]--;
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(ipv4Header[10..]);
        BinaryPrimitives.WriteUInt16BigEndian(ipv4Header[10..], Update(checksum, oldWord, newWord));
        return true;
    }

    /// <summary>Sets an IPv4 header's identification in place and patches its header checksum.</summary>
    public static bool SetIdentification(Span<byte> ipv4Header, ushort identification)
    {
        if (ipv4Header.Length < Ipv4Header.MinLength)
        {
            return false;
        }

        ushort old = BinaryPrimitives.ReadUInt16BigEndian(ipv4Header[4..]);
        BinaryPrimitives.WriteUInt16BigEndian(ipv4Header[4..], identification);
        ushort checksum = BinaryPrimitives.ReadUInt16BigEndian(ipv4Header[10..]);
        BinaryPrimitives.WriteUInt16BigEndian(ipv4Header[10..], Update(checksum, old, identification));
        return true;
    }
}
