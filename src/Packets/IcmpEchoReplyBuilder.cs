using System.Buffers.Binary;
using RouterHost.Abstractions;

namespace RouterHost.Packets;

/// <summary>
/// Answers an ICMP echo request (IPv4 type 8, ICMPv6 type 128) sent to one of the router's own addresses: the reply
/// (type 0 / 129) carries the request's identifier, sequence number and data back, from the address that was pinged
/// to the sender, with a fresh IP header (no options or extension headers, TTL / hop limit 64) and complete
/// checksums (RFC 792, RFC 4443 4.2). Allocation-free; bad input is a reason, never an exception.
/// </summary>
public static class IcmpEchoReplyBuilder
{
    private const byte HopLimit = 64;

    /// <summary>The request comes from an address no reply goes to (multicast, broadcast, unspecified, loopback).</summary>
    public static DropReason FromSpecialAddress { get; } = DropReason.Register("icmp.echo.from_special_address");

    /// <summary>
    /// Whether <paramref name="packet"/> (parsed into <paramref name="layout"/>) is a whole, unfragmented echo request
    /// with code 0.
    /// </summary>
    public static bool IsEchoRequest(ReadOnlySpan<byte> packet, in PacketLayout layout)
    {
        if (layout.IsFragment || !layout.HasTransportHeader)
        {
            return false;
        }

        byte requestType = layout.IsIPv6 ? (byte)128 : (byte)8;
        byte protocol = layout.IsIPv6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp;
        return layout.Protocol == protocol && packet[layout.TransportOffset] == requestType && packet[layout.TransportOffset + 1] == 0;
    }

    /// <summary>The length of the reply to a request of <paramref name="layout"/>.</summary>
    public static int ReplyLength(in PacketLayout layout) =>
        (layout.IsIPv6 ? Ipv6Header.Length : Ipv4Header.MinLength) + (layout.PacketLength - layout.TransportOffset);

    /// <summary>
    /// Writes the reply to the echo request <paramref name="request"/> (for which <see cref="IsEchoRequest"/> holds)
    /// into <paramref name="destination"/>, which must hold <see cref="ReplyLength"/> bytes.
    /// </summary>
    public static DropReason Build(ReadOnlySpan<byte> request, in PacketLayout layout, Span<byte> destination, out int written)
    {
        written = 0;
        bool v6 = layout.IsIPv6;
        ReadOnlySpan<byte> source = IpPacket.SourceOf(request);
        ReadOnlySpan<byte> pinged = IpPacket.DestinationOf(request);
        if (v6 ? IcmpErrorBuilder.IsSpecialIPv6(source) : IcmpErrorBuilder.IsSpecialIPv4(source))
        {
            return FromSpecialAddress;
        }

        int length = ReplyLength(layout);
        if (destination.Length < length)
        {
            return IcmpErrorBuilder.NoRoom;
        }

        ReadOnlySpan<byte> message = request[layout.TransportOffset..layout.PacketLength];
        Span<byte> reply = destination[..length];
        int ipHeader = v6 ? Ipv6Header.Length : Ipv4Header.MinLength;
        if (v6)
        {
            Ipv6Header.Write(reply, 0, message.Length, IpProtocol.IcmpV6, HopLimit, pinged, source);
        }
        else
        {
            Ipv4Header.Write(reply, 0, length, 0, HopLimit, IpProtocol.Icmp, pinged, source);
        }

        Span<byte> icmp = reply[ipHeader..];
        message.CopyTo(icmp);
        icmp[0] = v6 ? (byte)129 : (byte)0;
        icmp[IcmpHeader.ChecksumOffset] = 0;
        icmp[IcmpHeader.ChecksumOffset + 1] = 0;
        ushort pseudo = v6 ? PseudoHeaderChecksum.IPv6(pinged, source, IpProtocol.IcmpV6, icmp.Length) : (ushort)0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[IcmpHeader.ChecksumOffset..], InternetChecksum.Compute(icmp, pseudo));

        written = length;
        return DropReason.None;
    }
}
