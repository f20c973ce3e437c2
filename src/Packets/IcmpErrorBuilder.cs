using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Builds ICMP / ICMPv6 error messages about a packet, under the rules routers follow: never about an ICMP
/// error (v4 types 3, 4, 5, 11, 12; v6 types below 128), a non-first fragment, or a packet from or to a
/// multicast, broadcast, unspecified or loopback address; the reply goes to the original source and quotes the
/// original — as much as fits in 576 bytes for IPv4 (RFC 1812 4.3.2.3) and 1280 for IPv6 (RFC 4443 2.4).
/// Checksums are complete (ICMPv6 over its pseudo-header). Allocation-free; bad input is a reason, never an
/// exception.
/// </summary>
public static class IcmpErrorBuilder
{
    /// <summary>The longest IPv4 ICMP error.</summary>
    public const int MaxIPv4Length = 576;

    /// <summary>The longest ICMPv6 error.</summary>
    public const int MaxIPv6Length = 1280;

    private const int IPv4HeaderLength = Ipv4Header.MinLength;
    private const int IPv6HeaderLength = Ipv6Header.Length;
    private const int IcmpHeaderLength = IcmpHeader.Length;
    private const byte HopLimit = 64;

    /// <summary>The original is itself an ICMP error (or informational ICMPv6 is fine, errors are not).</summary>
    public static DropReason AboutIcmpError { get; } = DropReason.Register("icmp.no_error_about_error");

    /// <summary>The original is a non-first fragment.</summary>
    public static DropReason AboutFragment { get; } = DropReason.Register("icmp.no_error_about_fragment");

    /// <summary>The original's source or destination is multicast, broadcast, unspecified or loopback.</summary>
    public static DropReason AboutSpecialAddress { get; } = DropReason.Register("icmp.no_error_about_special_address");

    /// <summary>The destination buffer cannot hold the error, or the source address is of the wrong family.</summary>
    public static DropReason NoRoom { get; } = DropReason.Register("icmp.no_room");

    /// <summary>
    /// Checks whether an error may be sent about <paramref name="original"/>, and how long it will be
    /// (<paramref name="length"/>). <see cref="DropReason.None"/> when it may.
    /// </summary>
    public static DropReason Plan(ReadOnlySpan<byte> original, out int length)
    {
        length = 0;
        DropReason refused = PacketParser.Parse(original, out PacketLayout layout);
        if (!refused.IsNone)
        {
            return refused;
        }

        refused = MayAnswer(original, layout);
        if (!refused.IsNone)
        {
            return refused;
        }

        int quoted = Math.Min(layout.PacketLength, original.Length);
        length = layout.IpVersion == 4
            ? Math.Min(MaxIPv4Length, IPv4HeaderLength + IcmpHeaderLength + quoted)
            : Math.Min(MaxIPv6Length, IPv6HeaderLength + IcmpHeaderLength + quoted);
        return DropReason.None;
    }

    /// <summary>
    /// Writes the error about <paramref name="original"/> into <paramref name="destination"/>, from
    /// <paramref name="source"/> (4 or 16 address bytes, the same family as the original: the router's own
    /// address, or the original destination for a reject). <paramref name="mtu"/> is used by
    /// <see cref="IcmpError.PacketTooBig"/>.
    /// </summary>
    public static DropReason Build(ReadOnlySpan<byte> original, IcmpError error, ReadOnlySpan<byte> source, Span<byte> destination, out int written, int mtu = 0)
    {
        written = 0;
        DropReason refused = Plan(original, out int length);
        if (!refused.IsNone)
        {
            return refused;
        }

        bool v4 = (original[0] >> 4) == 4;
        if (destination.Length < length || source.Length != (v4 ? 4 : 16))
        {
            return NoRoom;
        }

        Span<byte> reply = destination[..length];
        reply.Clear();
        if (v4)
        {
            int icmpLength = length - IPv4HeaderLength;
            // Precedence: internetwork control (0xC0), as routers mark ICMP errors.
            Ipv4Header.Write(reply, 0xC0, length, 0, HopLimit, IpProtocol.Icmp, source, IpPacket.SourceOf(original));

            Span<byte> icmp = reply[IPv4HeaderLength..];
            (icmp[0], icmp[1]) = error switch
            {
                IcmpError.TimeExceeded => ((byte)11, (byte)0),
                IcmpError.NoRoute => ((byte)3, (byte)0),
                IcmpError.AdministrativelyProhibited => ((byte)3, (byte)13),
                _ => ((byte)3, (byte)4),
            };
            if (error == IcmpError.PacketTooBig)
            {
                BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], (ushort)Math.Clamp(mtu, 0, ushort.MaxValue));
            }

            original[..(icmpLength - IcmpHeaderLength)].CopyTo(icmp[IcmpHeaderLength..]);
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        }
        else
        {
            int icmpLength = length - IPv6HeaderLength;
            ReadOnlySpan<byte> to = IpPacket.SourceOf(original);
            Ipv6Header.Write(reply, 0, icmpLength, IpProtocol.IcmpV6, HopLimit, source, to);

            Span<byte> icmp = reply[IPv6HeaderLength..];
            (icmp[0], icmp[1]) = error switch
            {
                IcmpError.TimeExceeded => ((byte)3, (byte)0),
                IcmpError.NoRoute => ((byte)1, (byte)0),
                IcmpError.AdministrativelyProhibited => ((byte)1, (byte)1),
                _ => ((byte)2, (byte)0),
            };
            if (error == IcmpError.PacketTooBig)
            {
                BinaryPrimitives.WriteUInt32BigEndian(icmp[4..], (uint)Math.Max(mtu, 0));
            }

            original[..(icmpLength - IcmpHeaderLength)].CopyTo(icmp[IcmpHeaderLength..]);
            ushort pseudo = PseudoHeaderChecksum.IPv6(source, to, IpProtocol.IcmpV6, icmpLength);
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp, pseudo));
        }

        written = length;
        return DropReason.None;
    }

    private static DropReason MayAnswer(ReadOnlySpan<byte> original, in PacketLayout layout)
    {
        if (layout.IsFragment && layout.FragmentOffset != 0)
        {
            return AboutFragment;
        }

        ReadOnlySpan<byte> src = IpPacket.SourceOf(original);
        ReadOnlySpan<byte> dst = IpPacket.DestinationOf(original);
        if (layout.IpVersion == 4)
        {
            if (IsSpecialIPv4(src) || IsSpecialIPv4(dst))
            {
                return AboutSpecialAddress;
            }

            if (layout.Protocol == IpProtocol.Icmp)
            {
                // A first fragment or a whole packet: its ICMP type is within the parsed bounds (or absent).
                if (original.Length <= layout.TransportOffset)
                {
                    return AboutIcmpError;
                }

                byte type = original[layout.TransportOffset];
                if (type is 3 or 4 or 5 or 11 or 12)
                {
                    return AboutIcmpError;
                }
            }
        }
        else
        {
            if (IsSpecialIPv6(src) || IsSpecialIPv6(dst))
            {
                return AboutSpecialAddress;
            }

            if (layout.Protocol == IpProtocol.IcmpV6)
            {
                if (original.Length <= layout.TransportOffset || original[layout.TransportOffset] < 128)
                {
                    return AboutIcmpError;
                }
            }
        }

        return DropReason.None;
    }

    /// <summary>Whether an IPv4 address is one no ICMP message goes to or about: 0/8, loopback, multicast, reserved, broadcast.</summary>
    internal static bool IsSpecialIPv4(ReadOnlySpan<byte> a) =>
        a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);

    /// <summary>Whether an IPv6 address is one no ICMP message goes to or about: multicast, unspecified, loopback.</summary>
    internal static bool IsSpecialIPv6(ReadOnlySpan<byte> a)
    {
        if (a[0] == 0xFF)
        {
            return true; // multicast
        }

        bool unspecifiedOrLoopback = true;
        for (int i = 0; i < 15; i++)
        {
            if (a[i] != 0)
            {
                unspecifiedOrLoopback = false;
                break;
            }
        }

        return unspecifiedOrLoopback && a[15] <= 1;
    }
}
