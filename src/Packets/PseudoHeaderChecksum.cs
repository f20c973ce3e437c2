using System.Buffers.Binary;

namespace RouterHost.Packets;

/// <summary>
/// Folded, non-inverted sums of the TCP/UDP/ICMPv6 pseudo-headers (RFC 793/768 for IPv4, RFC 8200 section 8.1
/// for IPv6). The result is also what a virtio NEEDS_CSUM packet carries in its L4 checksum field.
/// </summary>
public static class PseudoHeaderChecksum
{
    /// <summary>The IPv4 pseudo-header sum: source, destination, protocol and L4 length.</summary>
    public static ushort IPv4(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int l4Length)
    {
        if (source.Length < 4 || destination.Length < 4)
        {
            return 0;
        }

        ulong sum = (ulong)BinaryPrimitives.ReadUInt16BigEndian(source) + BinaryPrimitives.ReadUInt16BigEndian(source[2..])
            + BinaryPrimitives.ReadUInt16BigEndian(destination) + BinaryPrimitives.ReadUInt16BigEndian(destination[2..])
            + protocol + (uint)(ushort)l4Length;
        return InternetChecksum.Fold(sum);
    }

    /// <summary>The IPv6 pseudo-header sum: source, destination, upper-layer length and next header.</summary>
    public static ushort IPv6(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int l4Length)
    {
        if (source.Length < 16 || destination.Length < 16)
        {
            return 0;
        }

        ulong sum = protocol + (ulong)(uint)l4Length;
        for (int i = 0; i < 16; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(source[i..]);
            sum += BinaryPrimitives.ReadUInt32BigEndian(destination[i..]);
        }

        return InternetChecksum.Fold(sum);
    }

    /// <summary>
    /// The pseudo-header sum for a packet whose IP header starts at <paramref name="ipPacket"/>[0], using its own
    /// addresses (version read from the first nibble). Returns 0 when the header is too short to hold them.
    /// </summary>
    public static ushort ForPacket(ReadOnlySpan<byte> ipPacket, byte protocol, int l4Length)
    {
        ReadOnlySpan<byte> source = IpPacket.SourceOf(ipPacket);
        ReadOnlySpan<byte> destination = IpPacket.DestinationOf(ipPacket);
        return source.Length == Ipv6Header.AddressLength
            ? IPv6(source, destination, protocol, l4Length)
            : IPv4(source, destination, protocol, l4Length);
    }
}
