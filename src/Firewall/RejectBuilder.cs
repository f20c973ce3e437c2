using System.Buffers.Binary;
using RouterHost.Packets;

namespace RouterHost.Firewall;

/// <summary>
/// Builds the answer to a rejected packet from its bytes into a caller buffer (typically a packet appended with
/// <c>PacketBatch.Emitted(direction).TryAppendOwned</c>): a TCP RST for TCP, an ICMP/ICMPv6 administratively
/// prohibited destination-unreachable for everything else, addressed from the original destination back to the
/// original source, with every checksum computed. Never throws and allocates nothing.
/// <para>
/// The RST follows netfilter's <c>REJECT --reject-with tcp-reset</c>: if the offending segment has ACK, the RST
/// carries seq = its ack and no ACK flag; otherwise RST|ACK with seq 0 and ack = its seq + SYN + FIN + payload.
/// The ICMP error quotes the original from its IP header on, as much as fits in 576 bytes (IPv4, RFC 1812 4.3.2.3)
/// or 1280 bytes (IPv6, RFC 4443 2.4(c)).
/// </para>
/// No reply is made to an ICMP error, a later fragment, a TCP RST, or a packet from or to a broadcast, multicast or
/// unspecified address (subnet-directed broadcasts need interface addresses; the stage filters those).
/// </summary>
public static class RejectBuilder
{
    /// <summary>The most bytes an IPv4 ICMP error may take.</summary>
    public const int MaxIPv4ErrorLength = 576;

    /// <summary>The most bytes an ICMPv6 error may take (the IPv6 minimum MTU).</summary>
    public const int MaxIPv6ErrorLength = 1280;

    /// <summary>A buffer this long holds any reply.</summary>
    public const int MaxReplyLength = MaxIPv6ErrorLength;

    /// <summary>The TTL / hop limit of replies.</summary>
    public const byte HopLimit = 64;

    private const int TcpHeaderLength = 20;
    private const int IcmpHeaderLength = 8;

    /// <summary>Whether the result is a reply that was (or would be) written.</summary>
    public static bool IsReply(this RejectResult result) => result is RejectResult.TcpReset or RejectResult.IcmpUnreachable;

    /// <summary>Decides what reply <paramref name="original"/> gets and how long it is, without writing it.</summary>
    public static RejectResult Plan(ReadOnlySpan<byte> original, out int replyLength)
    {
        replyLength = 0;
        if (!PacketParser.Parse(original, out PacketLayout layout).IsNone)
        {
            return RejectResult.Malformed;
        }

        if (!IsUnicast(original, layout.IsIPv6))
        {
            return RejectResult.NotUnicast;
        }

        if (layout.FragmentOffset != 0)
        {
            return RejectResult.LaterFragment;
        }

        int ipHeader = layout.IsIPv6 ? Ipv6Header.Length : Ipv4Header.MinLength;
        if (layout.Protocol == IpProtocol.Tcp)
        {
            if (((TcpFlags)original[layout.TransportOffset + 13] & TcpFlags.Rst) != 0)
            {
                return RejectResult.OriginalIsReset;
            }

            replyLength = ipHeader + TcpHeaderLength;
            return RejectResult.TcpReset;
        }

        if (layout.IsIPv6 ? layout.Protocol == IpProtocol.IcmpV6 && original[layout.TransportOffset] < 128
                          : layout.Protocol == IpProtocol.Icmp && original[layout.TransportOffset] is 3 or 4 or 5 or 11 or 12)
        {
            return RejectResult.IcmpError;
        }

        int limit = layout.IsIPv6 ? MaxIPv6ErrorLength : MaxIPv4ErrorLength;
        replyLength = Math.Min(limit, ipHeader + IcmpHeaderLength + layout.PacketLength);
        return RejectResult.IcmpUnreachable;
    }

    /// <summary>
    /// Writes the reply to <paramref name="original"/> at the start of <paramref name="destination"/> and returns
    /// what it wrote (<paramref name="written"/> bytes), or why it wrote nothing.
    /// </summary>
    public static RejectResult Build(ReadOnlySpan<byte> original, Span<byte> destination, out int written)
    {
        written = 0;
        RejectResult result = Plan(original, out int length);
        if (!result.IsReply())
        {
            return result;
        }

        if (destination.Length < length)
        {
            return RejectResult.DestinationTooSmall;
        }

        PacketParser.Parse(original, out PacketLayout layout);
        Span<byte> reply = destination[..length];
        reply.Clear();
        bool v6 = layout.IsIPv6;
        byte protocol = result == RejectResult.TcpReset ? IpProtocol.Tcp : (v6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp);
        int ipHeader = WriteIpHeader(original, reply, v6, protocol, tos: result == RejectResult.TcpReset ? (byte)0 : (byte)0xC0);
        Span<byte> l4 = reply[ipHeader..];
        if (result == RejectResult.TcpReset)
        {
            WriteReset(original[layout.TransportOffset..], layout.PayloadLength, l4);
            ushort pseudo = PseudoHeaderChecksum.ForPacket(reply, IpProtocol.Tcp, l4.Length);
            BinaryPrimitives.WriteUInt16BigEndian(l4[16..], InternetChecksum.Compute(l4, pseudo));
        }
        else
        {
            l4[0] = v6 ? (byte)1 : (byte)3;
            l4[1] = v6 ? (byte)1 : (byte)13;
            original[..(length - ipHeader - IcmpHeaderLength)].CopyTo(l4[IcmpHeaderLength..]);
            ushort initial = v6 ? PseudoHeaderChecksum.ForPacket(reply, IpProtocol.IcmpV6, l4.Length) : (ushort)0;
            BinaryPrimitives.WriteUInt16BigEndian(l4[2..], InternetChecksum.Compute(l4, initial));
        }

        written = length;
        return result;
    }

    private static int WriteIpHeader(ReadOnlySpan<byte> original, Span<byte> reply, bool v6, byte protocol, byte tos)
    {
        if (v6)
        {
            reply[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(reply[4..], (ushort)(reply.Length - Ipv6Header.Length));
            reply[6] = protocol;
            reply[7] = HopLimit;
            original.Slice(24, 16).CopyTo(reply[8..]);
            original.Slice(8, 16).CopyTo(reply[24..]);
            return Ipv6Header.Length;
        }

        reply[0] = 0x45;
        reply[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(reply[2..], (ushort)reply.Length);
        if (protocol == IpProtocol.Tcp)
        {
            // As Linux's nf_send_reset: DF set on the RST.
            BinaryPrimitives.WriteUInt16BigEndian(reply[6..], Ipv4Header.DontFragmentFlag);
        }

        reply[8] = HopLimit;
        reply[9] = protocol;
        original.Slice(16, 4).CopyTo(reply[12..]);
        original.Slice(12, 4).CopyTo(reply[16..]);
        Ipv4Header.WriteChecksum(reply[..Ipv4Header.MinLength]);
        return Ipv4Header.MinLength;
    }

    private static void WriteReset(ReadOnlySpan<byte> tcp, int payloadLength, Span<byte> rst)
    {
        rst[0] = tcp[2];
        rst[1] = tcp[3];
        rst[2] = tcp[0];
        rst[3] = tcp[1];
        var flags = (TcpFlags)tcp[13];
        rst[12] = TcpHeaderLength / 4 << 4;
        if ((flags & TcpFlags.Ack) != 0)
        {
            tcp.Slice(8, 4).CopyTo(rst[4..]);
            rst[13] = (byte)TcpFlags.Rst;
        }
        else
        {
            uint ack = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]) + (uint)payloadLength
                + ((flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
            BinaryPrimitives.WriteUInt32BigEndian(rst[8..], ack);
            rst[13] = (byte)(TcpFlags.Rst | TcpFlags.Ack);
        }
    }

    private static bool IsUnicast(ReadOnlySpan<byte> packet, bool v6)
    {
        if (v6)
        {
            ReadOnlySpan<byte> source = packet.Slice(8, 16);
            // Multicast is ff00::/8; the unspecified source :: cannot be answered.
            return source[0] != 0xFF && packet[24] != 0xFF && source.IndexOfAnyExcept((byte)0) >= 0;
        }

        uint src = BinaryPrimitives.ReadUInt32BigEndian(packet[12..]);
        uint dst = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        // 224/4 is multicast, 240/4 reserved (and holds 255.255.255.255); 0.0.0.0 is "this host", unanswerable.
        return src != 0 && src < 0xE000_0000 && dst < 0xE000_0000;
    }
}
