using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using RouterHost.Abstractions;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// Ethernet II framing for the AF_XDP backend: checks a received frame and finds the IP packet in it, and writes
/// the header of a frame to send. Untagged frames only: the XDP program passes 802.1Q/802.1ad frames (and ARP, and
/// everything else that is not IPv4/IPv6) to the kernel, so a VLAN device of the kernel on the same NIC keeps
/// working; a tagged frame that reaches us anyway is refused by ethertype. MAC addresses are held in the low 48 bits
/// of a <see cref="ulong"/>, in wire order (first byte lowest).
/// </summary>
internal static class EthernetFrame
{
    public const int HeaderLength = 14;
    public const ushort EthertypeIPv4 = 0x0800;
    public const ushort EthertypeIPv6 = 0x86DD;
    public const ushort EthertypeArp = 0x0806;
    public const ushort EthertypeVlan = 0x8100;
    private const ulong MacMask = 0xFFFF_FFFF_FFFF;

    /// <summary>
    /// Checks <paramref name="frame"/> (as received, from its destination MAC) and finds the IP packet in it:
    /// <paramref name="ipLength"/> is the IP packet's own length (Ethernet padding of short frames is cut off).
    /// Returns why the frame is refused, or <see cref="DropReason.None"/>. Never reads outside the span.
    /// </summary>
    public static DropReason TryDecode(ReadOnlySpan<byte> frame, ulong localMac, out int ipLength)
    {
        ipLength = 0;
        if (frame.Length < HeaderLength)
        {
            return AfXdpDropReasons.Runt;
        }

        // Ours, or group-addressed (broadcast/multicast: the I/G bit); anything else is another station's.
        if ((frame[0] & 1) == 0 && ReadMac(frame) != localMac)
        {
            return AfXdpDropReasons.NotForUs;
        }

        ushort ethertype = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        ReadOnlySpan<byte> ip = frame[HeaderLength..];
        switch (ethertype)
        {
            case EthertypeIPv4:
                if (ip.Length < 20)
                {
                    return AfXdpDropReasons.TruncatedIp;
                }

                if (ip[0] >> 4 != 4)
                {
                    return AfXdpDropReasons.IpVersionMismatch;
                }

                int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
                if (total < 20 || total > ip.Length)
                {
                    return AfXdpDropReasons.TruncatedIp;
                }

                ipLength = total;
                return DropReason.None;

            case EthertypeIPv6:
                if (ip.Length < 40)
                {
                    return AfXdpDropReasons.TruncatedIp;
                }

                if (ip[0] >> 4 != 6)
                {
                    return AfXdpDropReasons.IpVersionMismatch;
                }

                int length = 40 + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
                if (length > ip.Length)
                {
                    return AfXdpDropReasons.TruncatedIp;
                }

                ipLength = length;
                return DropReason.None;

            default:
                return AfXdpDropReasons.WrongEthertype;
        }
    }

    /// <summary>Writes destination, source and ethertype into the first 14 bytes of <paramref name="frame"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteHeader(Span<byte> frame, ulong destination, ulong source, ushort ethertype)
    {
        // 8 + 8 bytes written low to high: the source overwrites the two spare bytes after the destination, the
        // ethertype those after the source.
        BinaryPrimitives.WriteUInt64LittleEndian(frame, destination);
        BinaryPrimitives.WriteUInt64LittleEndian(frame[6..], source);
        BinaryPrimitives.WriteUInt16BigEndian(frame[12..], ethertype);
    }

    /// <summary>The 6-byte MAC at the start of <paramref name="bytes"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong ReadMac(ReadOnlySpan<byte> bytes) =>
        BinaryPrimitives.ReadUInt32LittleEndian(bytes) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) << 32);

    /// <summary>A MAC from its 6 bytes (control plane).</summary>
    public static ulong ToMac(ReadOnlySpan<byte> bytes) => bytes.Length >= 6 ? ReadMac(bytes) & MacMask : 0;

    /// <summary>"aa:bb:cc:dd:ee:ff" (control plane, logs).</summary>
    public static string Format(ulong mac)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, mac);
        return string.Join(':', bytes.Take(6).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
