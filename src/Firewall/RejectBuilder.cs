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

    /// <summary>Whether the result is a reply that was (or would be) written.</summary>
    public static bool IsReply(this RejectResult result) => result is RejectResult.TcpReset or RejectResult.IcmpUnreachable;

    /// <summary>Decides what reply <paramref name="original"/> gets and how long it is, without writing it.</summary>
    public static RejectResult Plan(ReadOnlySpan<byte> original, out int replyLength) =>
        IpPacket.TryParse(original, out IpPacket packet).IsNone ? Plan(packet, out replyLength) : Malformed(out replyLength);

    /// <summary>
    /// Writes the reply to <paramref name="original"/> at the start of <paramref name="destination"/> and returns
    /// what it wrote (<paramref name="written"/> bytes), or why it wrote nothing.
    /// </summary>
    public static RejectResult Build(ReadOnlySpan<byte> original, Span<byte> destination, out int written)
    {
        written = 0;
        if (!IpPacket.TryParse(original, out IpPacket packet).IsNone)
        {
            return RejectResult.Malformed;
        }

        RejectResult result = Plan(packet, out int length);
        if (!result.IsReply())
        {
            return result;
        }

        if (destination.Length < length)
        {
            return RejectResult.DestinationTooSmall;
        }

        Span<byte> reply = destination[..length];
        reply.Clear();
        bool v6 = packet.IsIPv6;
        bool reset = result == RejectResult.TcpReset;
        byte protocol = reset ? IpProtocol.Tcp : (v6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp);
        int ipHeader = WriteIpHeader(packet, reply, protocol, tos: reset ? (byte)0 : (byte)0xC0);
        Span<byte> l4 = reply[ipHeader..];
        if (reset)
        {
            packet.TryGetTcp(out TcpHeader tcp);
            WriteReset(tcp, packet.Layout.PayloadLength, l4);
            ushort pseudo = PseudoHeaderChecksum.ForPacket(reply, IpProtocol.Tcp, l4.Length);
            BinaryPrimitives.WriteUInt16BigEndian(l4[TcpHeader.ChecksumOffset..], InternetChecksum.Compute(l4, pseudo));
        }
        else
        {
            l4[0] = v6 ? (byte)1 : (byte)3;
            l4[1] = v6 ? (byte)1 : (byte)13;
            original[..(length - ipHeader - IcmpHeader.Length)].CopyTo(l4[IcmpHeader.Length..]);
            ushort initial = v6 ? PseudoHeaderChecksum.ForPacket(reply, IpProtocol.IcmpV6, l4.Length) : (ushort)0;
            BinaryPrimitives.WriteUInt16BigEndian(l4[IcmpHeader.ChecksumOffset..], InternetChecksum.Compute(l4, initial));
        }

        written = length;
        return result;
    }

    private static RejectResult Malformed(out int replyLength)
    {
        replyLength = 0;
        return RejectResult.Malformed;
    }

    private static RejectResult Plan(in IpPacket packet, out int replyLength)
    {
        replyLength = 0;
        PacketLayout layout = packet.Layout;
        if (!IsUnicast(packet.Source, packet.Destination))
        {
            return RejectResult.NotUnicast;
        }

        if (layout.FragmentOffset != 0)
        {
            return RejectResult.LaterFragment;
        }

        int ipHeader = layout.IsIPv6 ? Ipv6Header.Length : Ipv4Header.MinLength;
        if (packet.TryGetTcp(out TcpHeader tcp))
        {
            if ((tcp.Flags & TcpFlags.Rst) != 0)
            {
                return RejectResult.OriginalIsReset;
            }

            replyLength = ipHeader + TcpHeader.MinLength;
            return RejectResult.TcpReset;
        }

        if (packet.TryGetIcmp(out IcmpHeader icmp) && (layout.IsIPv6 ? icmp.Type < 128 : icmp.Type is 3 or 4 or 5 or 11 or 12))
        {
            return RejectResult.IcmpError;
        }

        int limit = layout.IsIPv6 ? MaxIPv6ErrorLength : MaxIPv4ErrorLength;
        replyLength = Math.Min(limit, ipHeader + IcmpHeader.Length + layout.PacketLength);
        return RejectResult.IcmpUnreachable;
    }

    private static int WriteIpHeader(in IpPacket original, Span<byte> reply, byte protocol, byte tos)
    {
        // From the original destination back to its source.
        if (original.IsIPv6)
        {
            Ipv6Header.Write(reply, 0, reply.Length - Ipv6Header.Length, protocol, HopLimit, original.Destination, original.Source);
            return Ipv6Header.Length;
        }

        // As Linux's nf_send_reset: DF set on the RST.
        ushort flags = protocol == IpProtocol.Tcp ? Ipv4Header.DontFragmentFlag : (ushort)0;
        Ipv4Header.Write(reply, tos, reply.Length, flags, HopLimit, protocol, original.Destination, original.Source);
        return Ipv4Header.MinLength;
    }

    private static void WriteReset(in TcpHeader tcp, int payloadLength, Span<byte> rst)
    {
        TcpFlags flags = tcp.Flags;
        if ((flags & TcpFlags.Ack) != 0)
        {
            TcpHeader.Write(rst, tcp.DestinationPort, tcp.SourcePort, tcp.AcknowledgmentNumber, 0, TcpFlags.Rst);
        }
        else
        {
            uint ack = tcp.SequenceNumber + (uint)payloadLength
                + ((flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
            TcpHeader.Write(rst, tcp.DestinationPort, tcp.SourcePort, 0, ack, TcpFlags.Rst | TcpFlags.Ack);
        }
    }

    private static bool IsUnicast(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination)
    {
        if (source.Length == Ipv6Header.AddressLength)
        {
            // Multicast is ff00::/8; the unspecified source :: cannot be answered.
            return source[0] != 0xFF && destination[0] != 0xFF && source.IndexOfAnyExcept((byte)0) >= 0;
        }

        uint src = BinaryPrimitives.ReadUInt32BigEndian(source);
        uint dst = BinaryPrimitives.ReadUInt32BigEndian(destination);
        // 224/4 is multicast, 240/4 reserved (and holds 255.255.255.255); 0.0.0.0 is "this host", unanswerable.
        return src != 0 && src < 0xE000_0000 && dst < 0xE000_0000;
    }
}
