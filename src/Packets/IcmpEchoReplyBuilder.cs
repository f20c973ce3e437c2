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
    private const int IPv4HeaderLength = 20;
    private const int IPv6HeaderLength = 40;

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
        (layout.IsIPv6 ? IPv6HeaderLength : IPv4HeaderLength) + (layout.PacketLength - layout.TransportOffset);

    /// <summary>
    /// Writes the reply to the echo request <paramref name="request"/> (for which <see cref="IsEchoRequest"/> holds)
    /// into <paramref name="destination"/>, which must hold <see cref="ReplyLength"/> bytes.
    /// </summary>
    public static DropReason Build(ReadOnlySpan<byte> request, in PacketLayout layout, Span<byte> destination, out int written)
    {
        written = 0;
        bool v6 = layout.IsIPv6;
        ReadOnlySpan<byte> source = v6 ? request.Slice(8, 16) : request.Slice(12, 4);
        ReadOnlySpan<byte> pinged = v6 ? request.Slice(24, 16) : request.Slice(16, 4);
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
        reply.Clear();
        if (v6)
        {
            reply[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(reply[4..], (ushort)message.Length);
            reply[6] = IpProtocol.IcmpV6;
            reply[7] = 64;
            pinged.CopyTo(reply[8..24]);
            source.CopyTo(reply[24..40]);
            Span<byte> icmp = reply[IPv6HeaderLength..];
            message.CopyTo(icmp);
            icmp[0] = 129;
            icmp[2] = 0;
            icmp[3] = 0;
            ushort pseudo = PseudoHeaderChecksum.IPv6(reply.Slice(8, 16), reply.Slice(24, 16), IpProtocol.IcmpV6, icmp.Length);
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp, pseudo));
        }
        else
        {
            reply[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(reply[2..], (ushort)length);
            reply[8] = 64;
            reply[9] = IpProtocol.Icmp;
            pinged.CopyTo(reply[12..16]);
            source.CopyTo(reply[16..20]);
            BinaryPrimitives.WriteUInt16BigEndian(reply[10..], InternetChecksum.Compute(reply[..IPv4HeaderLength]));
            Span<byte> icmp = reply[IPv4HeaderLength..];
            message.CopyTo(icmp);
            icmp[0] = 0;
            icmp[2] = 0;
            icmp[3] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        }

        written = length;
        return DropReason.None;
    }
}
