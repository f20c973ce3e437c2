using System.Buffers.Binary;
using RouterHost.Packets;

namespace RouterHost.Samples.AfPacket;

/// <summary>
/// A neighbour solicitation or advertisement (RFC 4861) as the backend learns from it: who sent it to whom, the target,
/// and the link-layer address it carries (the source's in a solicitation, the target's in an advertisement; 0 when absent).
/// </summary>
internal readonly record struct NdMessage(byte Type, UInt128 Source, UInt128 Destination, UInt128 Target, ulong LinkAddress);

/// <summary>Reads and writes IPv6 neighbour discovery (solicitations and advertisements) over Ethernet.</summary>
internal static class NeighbourDiscovery
{
    public const byte Solicitation = 135;
    public const byte Advertisement = 136;

    private const byte Icmpv6 = 58;
    private const int MessageLength = 24;
    private const byte SourceLinkAddress = 1;
    private const byte TargetLinkAddress = 2;

    /// <summary>Bytes of the solicitation <see cref="WriteSolicitation"/> writes (Ethernet, IPv6, ICMPv6 with the source link-layer option).</summary>
    public const int SolicitationFrameLength = Ethernet.HeaderLength + 40 + MessageLength + 8;

    /// <summary>
    /// Whether the IPv6 packet <paramref name="ip"/> (its own length, no extension headers) is an ICMPv6 solicitation or
    /// advertisement, judged by its headers only (<see cref="TryParse"/> checks the rest).
    /// </summary>
    public static bool IsNeighbourDiscovery(ReadOnlySpan<byte> ip) =>
        ip.Length >= 40 + MessageLength && ip[6] == Icmpv6 && ip[40] is Solicitation or Advertisement;

    /// <summary>
    /// Parses a solicitation or advertisement. False unless: hop limit 255, code 0, a valid ICMPv6 checksum, options that
    /// each have a non-zero length and fit, a link-layer option of 6 bytes that is not a group address, and a
    /// solicitation from :: (duplicate address detection) carries no link-layer option.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> ip, out NdMessage message)
    {
        message = default;
        if (!IsNeighbourDiscovery(ip) || (ip[0] >> 4) != 6 || ip[7] != 255 || ip[41] != 0)
        {
            return false;
        }

        int length = 40 + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        if (length > ip.Length || length < 40 + MessageLength)
        {
            return false;
        }

        ReadOnlySpan<byte> icmp = ip[40..length];
        ushort pseudo = PseudoHeaderChecksum.IPv6(ip.Slice(8, 16), ip.Slice(24, 16), Icmpv6, icmp.Length);
        if (!InternetChecksum.Verifies(icmp, pseudo))
        {
            return false;
        }

        byte type = icmp[0];
        byte wanted = type == Solicitation ? SourceLinkAddress : TargetLinkAddress;
        ulong link = 0;
        for (ReadOnlySpan<byte> options = icmp[MessageLength..]; !options.IsEmpty;)
        {
            if (options.Length < 2 || options[1] == 0 || options[1] * 8 > options.Length)
            {
                return false;
            }

            int optionLength = options[1] * 8;
            if (options[0] == wanted)
            {
                if (optionLength != 8)
                {
                    return false;
                }

                link = Ethernet.ReadMac(options[2..]);
                if (Ethernet.IsGroup(link))
                {
                    return false;
                }
            }

            options = options[optionLength..];
        }

        UInt128 source = BinaryPrimitives.ReadUInt128BigEndian(ip[8..]);
        if (type == Solicitation && source == UInt128.Zero && link != 0)
        {
            return false;
        }

        message = new NdMessage(type, source, BinaryPrimitives.ReadUInt128BigEndian(ip[24..]), BinaryPrimitives.ReadUInt128BigEndian(icmp[8..]), link);
        return true;
    }

    /// <summary>
    /// Writes a solicitation for <paramref name="target"/> from <paramref name="source"/> (one of the device's
    /// addresses) and <paramref name="mac"/>, to the target's solicited-node multicast group, into <paramref name="frame"/>;
    /// returns its length (<see cref="SolicitationFrameLength"/>).
    /// </summary>
    public static int WriteSolicitation(Span<byte> frame, ulong mac, UInt128 source, UInt128 target)
    {
        // ff02::1:ffXX:XXXX and its MAC 33:33:ff:XX:XX:XX, from the target's last 24 bits.
        uint low24 = (uint)target & 0xFFFFFF;
        UInt128 group = ((UInt128)0xFF02_0000_0000_0000UL << 64) | (0x0000_0001_FF00_0000UL | low24);
        Ethernet.WriteHeader(frame, 0x3333_FF00_0000UL | low24, mac, Ethernet.TypeIPv6);
        Span<byte> ip = frame.Slice(Ethernet.HeaderLength, 40 + MessageLength + 8);
        ip.Clear();
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], MessageLength + 8);
        ip[6] = Icmpv6;
        ip[7] = 255;
        BinaryPrimitives.WriteUInt128BigEndian(ip[8..], source);
        BinaryPrimitives.WriteUInt128BigEndian(ip[24..], group);
        Span<byte> icmp = ip[40..];
        icmp[0] = Solicitation;
        BinaryPrimitives.WriteUInt128BigEndian(icmp[8..], target);
        icmp[24] = SourceLinkAddress;
        icmp[25] = 1;
        Ethernet.WriteMac(icmp[26..], mac);
        ushort pseudo = PseudoHeaderChecksum.IPv6(ip.Slice(8, 16), ip.Slice(24, 16), Icmpv6, icmp.Length);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp, pseudo));
        return SolicitationFrameLength;
    }
}
