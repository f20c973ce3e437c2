using System.Buffers.Binary;

namespace RouterHost.Samples.AfPacket;

/// <summary>An ARP message for IPv4 over Ethernet (RFC 826), as read from or written to a frame's payload.</summary>
internal readonly record struct ArpMessage(ushort Operation, ulong SenderMac, uint SenderIp, ulong TargetMac, uint TargetIp);

/// <summary>Reads and writes ARP for IPv4 over Ethernet; anything else (other hardware or protocol) is refused.</summary>
internal static class Arp
{
    /// <summary>Bytes of an ARP message for IPv4 over Ethernet.</summary>
    public const int Length = 28;

    public const ushort Request = 1;
    public const ushort Reply = 2;

    private const ushort HardwareEthernet = 1;

    /// <summary>
    /// Parses the ARP payload of a frame (after the Ethernet header). False for a message that is short, not Ethernet/IPv4,
    /// has other address lengths, an unknown operation, or a group (multicast/broadcast) sender MAC.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out ArpMessage message)
    {
        message = default;
        if (payload.Length < Length
            || BinaryPrimitives.ReadUInt16BigEndian(payload) != HardwareEthernet
            || BinaryPrimitives.ReadUInt16BigEndian(payload[2..]) != Ethernet.TypeIPv4
            || payload[4] != 6
            || payload[5] != 4)
        {
            return false;
        }

        ushort operation = BinaryPrimitives.ReadUInt16BigEndian(payload[6..]);
        if (operation is not (Request or Reply))
        {
            return false;
        }

        ulong senderMac = Ethernet.ReadMac(payload[8..]);
        if (Ethernet.IsGroup(senderMac) || senderMac == 0)
        {
            return false;
        }

        message = new ArpMessage(
            operation,
            senderMac,
            BinaryPrimitives.ReadUInt32BigEndian(payload[14..]),
            Ethernet.ReadMac(payload[18..]),
            BinaryPrimitives.ReadUInt32BigEndian(payload[24..]));
        return true;
    }

    /// <summary>
    /// Writes a broadcast who-has request for <paramref name="targetIp"/> (Ethernet header and ARP message,
    /// <see cref="Ethernet.HeaderLength"/> + <see cref="Length"/> bytes) into <paramref name="frame"/>; returns its length.
    /// </summary>
    public static int WriteRequest(Span<byte> frame, ulong senderMac, uint senderIp, uint targetIp)
    {
        Ethernet.WriteHeader(frame, Ethernet.Broadcast, senderMac, Ethernet.TypeArp);
        Span<byte> arp = frame.Slice(Ethernet.HeaderLength, Length);
        BinaryPrimitives.WriteUInt16BigEndian(arp, HardwareEthernet);
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], Ethernet.TypeIPv4);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], Request);
        Ethernet.WriteMac(arp[8..], senderMac);
        BinaryPrimitives.WriteUInt32BigEndian(arp[14..], senderIp);
        Ethernet.WriteMac(arp[18..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(arp[24..], targetIp);
        return Ethernet.HeaderLength + Length;
    }
}
