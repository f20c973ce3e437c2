using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Finds the IP, extension and L4 headers of a packet, checking every length against the buffer. Never
/// throws and never reads out of bounds: bad input yields the <see cref="DropReason"/> naming the problem.
/// <para>
/// Besides lengths, it refuses what no router should pass on, so every stage that parses a packet refuses it alike:
/// an IPv4 header whose checksum does not verify, an IPv4 header with malformed options or a source-route option
/// (LSRR, SSRR), and an IPv6 type-0 routing header (RFC 5095).
/// </para>
/// </summary>
public static class PacketParser
{
    // A legitimate packet carries a handful of extension headers at most; a longer chain is an attack on parsers.
    private const int MaxExtensionHeaders = 8;

    private const byte OptionEndOfList = 0;
    private const byte OptionNoOperation = 1;
    private const byte OptionLooseSourceRoute = 0x83;
    private const byte OptionStrictSourceRoute = 0x89;
    private const byte RoutingType0 = 0;

    /// <summary>Parses the IP packet at the start of <paramref name="packet"/>.</summary>
    public static DropReason Parse(ReadOnlySpan<byte> packet, out PacketLayout layout)
    {
        layout = default;
        if (packet.IsEmpty)
        {
            return PacketDropReasons.Truncated;
        }

        return (packet[0] >> 4) switch
        {
            4 => ParseIPv4(packet, out layout),
            6 => ParseIPv6(packet, out layout),
            _ => PacketDropReasons.BadIpVersion,
        };
    }

    private static DropReason ParseIPv4(ReadOnlySpan<byte> packet, out PacketLayout layout)
    {
        layout = default;
        DropReason reason = Ipv4Header.TryRead(packet, out Ipv4Header header);
        if (!reason.IsNone)
        {
            return reason;
        }

        if (!header.ChecksumValid)
        {
            return PacketDropReasons.Ipv4BadChecksum;
        }

        if (header.HasOptions)
        {
            reason = CheckOptions(header.Options);
            if (!reason.IsNone)
            {
                return reason;
            }
        }

        int totalLength = header.TotalLength;
        int headerLength = header.HeaderLength;
        ReadOnlySpan<byte> ip = packet[..totalLength];
        return Finish(ip, 4, header.Protocol, headerLength, header.FragmentOffset, header.IsFragment, header.MoreFragments, out layout);
    }

    private static DropReason ParseIPv6(ReadOnlySpan<byte> packet, out PacketLayout layout)
    {
        layout = default;
        DropReason reason = Ipv6Header.TryRead(packet, out Ipv6Header header);
        if (!reason.IsNone)
        {
            return reason;
        }

        ReadOnlySpan<byte> ip = packet[..(Ipv6Header.Length + header.PayloadLength)];
        byte next = header.NextHeader;
        int offset = Ipv6Header.Length;
        bool isFragment = false;
        bool moreFragments = false;
        int fragmentOffset = 0;
        for (int count = 0; ; count++)
        {
            if (!IsExtensionHeader(next))
            {
                break;
            }

            if (count == MaxExtensionHeaders)
            {
                return PacketDropReasons.Ipv6TooManyExtensionHeaders;
            }

            // Every extension header starts with next-header and a length byte.
            if (ip.Length - offset < 2)
            {
                return PacketDropReasons.Ipv6BadExtensionHeader;
            }

            int length;
            if (next == IpProtocol.Fragment)
            {
                if (isFragment)
                {
                    return PacketDropReasons.Ipv6BadExtensionHeader;
                }

                length = 8;
            }
            else if (next == IpProtocol.AuthenticationHeader)
            {
                length = (ip[offset + 1] + 2) * 4;
            }
            else if (next == IpProtocol.Routing)
            {
                // The routing type is the third byte; a routing header is at least 8 bytes long.
                length = (ip[offset + 1] + 1) * 8;
                if (length > ip.Length - offset)
                {
                    return PacketDropReasons.Ipv6BadExtensionHeader;
                }

                if (ip[offset + 2] == RoutingType0)
                {
                    return PacketDropReasons.Ipv6RoutingType0;
                }
            }
            else
            {
                if (next == IpProtocol.HopByHop && offset != Ipv6Header.Length)
                {
                    // RFC 8200 section 4.1: hop-by-hop options only ever follow the fixed header.
                    return PacketDropReasons.Ipv6BadExtensionHeader;
                }

                length = (ip[offset + 1] + 1) * 8;
            }

            if (length > ip.Length - offset)
            {
                return PacketDropReasons.Ipv6BadExtensionHeader;
            }

            byte following = ip[offset];
            if (next == IpProtocol.Fragment)
            {
                ushort word = BinaryPrimitives.ReadUInt16BigEndian(ip[(offset + 2)..]);
                isFragment = true;
                fragmentOffset = word & 0xFFF8;
                moreFragments = (word & 1) != 0;
                int fragmentData = ip.Length - offset - length;
                if (fragmentOffset + fragmentData > ushort.MaxValue || (moreFragments && (fragmentData & 7) != 0))
                {
                    return PacketDropReasons.Ipv6BadFragment;
                }

                if (fragmentOffset != 0)
                {
                    // A later fragment: what follows is the middle of the datagram, not headers.
                    offset += length;
                    next = following;
                    break;
                }
            }

            offset += length;
            next = following;
        }

        return Finish(ip, 6, next, offset, fragmentOffset, isFragment, moreFragments, out layout);
    }

    /// <summary>
    /// Walks IPv4 options (RFC 791: end-of-list, no-op, else type, length, data) and refuses source routes and
    /// options whose length does not fit.
    /// </summary>
    private static DropReason CheckOptions(ReadOnlySpan<byte> options)
    {
        int i = 0;
        while (i < options.Length)
        {
            byte type = options[i];
            if (type == OptionEndOfList)
            {
                break;
            }

            if (type == OptionNoOperation)
            {
                i++;
                continue;
            }

            if (options.Length - i < 2)
            {
                return PacketDropReasons.Ipv4BadOption;
            }

            int length = options[i + 1];
            if (length < 2 || length > options.Length - i)
            {
                return PacketDropReasons.Ipv4BadOption;
            }

            if (type is OptionLooseSourceRoute or OptionStrictSourceRoute)
            {
                return PacketDropReasons.Ipv4SourceRoute;
            }

            i += length;
        }

        return DropReason.None;
    }

    private static bool IsExtensionHeader(byte next) =>
        next is IpProtocol.HopByHop or IpProtocol.Routing or IpProtocol.Fragment
            or IpProtocol.DestinationOptions or IpProtocol.AuthenticationHeader;

    private static DropReason Finish(
        ReadOnlySpan<byte> ip,
        byte version,
        byte protocol,
        int transportOffset,
        int fragmentOffset,
        bool isFragment,
        bool moreFragments,
        out PacketLayout layout)
    {
        ReadOnlySpan<byte> l4 = ip[transportOffset..];
        int transportHeaderLength = 0;
        int payloadLength = l4.Length;
        ushort sourcePort = 0;
        ushort destinationPort = 0;
        if (fragmentOffset == 0)
        {
            switch (protocol)
            {
                case IpProtocol.Tcp:
                {
                    DropReason reason = TcpHeader.TryRead(l4, out TcpHeader tcp);
                    if (!reason.IsNone)
                    {
                        layout = default;
                        return reason;
                    }

                    transportHeaderLength = tcp.HeaderLength;
                    payloadLength = l4.Length - transportHeaderLength;
                    sourcePort = tcp.SourcePort;
                    destinationPort = tcp.DestinationPort;
                    break;
                }

                case IpProtocol.Udp:
                {
                    DropReason reason = UdpHeader.TryRead(l4, out UdpHeader udp, isFirstFragment: moreFragments);
                    if (!reason.IsNone)
                    {
                        layout = default;
                        return reason;
                    }

                    transportHeaderLength = UdpHeader.Length;
                    payloadLength = (moreFragments ? l4.Length : udp.DatagramLength) - UdpHeader.Length;
                    sourcePort = udp.SourcePort;
                    destinationPort = udp.DestinationPort;
                    break;
                }

                case IpProtocol.Icmp when version == 4:
                case IpProtocol.IcmpV6 when version == 6:
                {
                    DropReason reason = IcmpHeader.TryRead(l4, out _);
                    if (!reason.IsNone)
                    {
                        layout = default;
                        return reason;
                    }

                    transportHeaderLength = IcmpHeader.Length;
                    payloadLength = l4.Length - IcmpHeader.Length;
                    break;
                }
            }
        }

        layout = new PacketLayout(
            version, protocol, transportOffset, ip.Length, fragmentOffset, isFragment, moreFragments,
            transportHeaderLength, payloadLength, sourcePort, destinationPort);
        return DropReason.None;
    }
}
