using System.Buffers.Binary;
using System.Net;

namespace RouterHost.WireGuard.Tests.Support;

/// <summary>ICMP echo packets (IPv4 and IPv6) with correct checksums, for tests that ping through a tunnel.</summary>
internal static class Icmp
{
    public static byte[] EchoRequest(IPAddress source, IPAddress destination, ushort id, ushort sequence, int payload = 56) =>
        Echo(source, destination, request: true, id, sequence, payload);

    public static byte[] Echo(IPAddress source, IPAddress destination, bool request, ushort id, ushort sequence, int payload = 56)
    {
        bool v6 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int header = v6 ? 40 : 20;
        var packet = new byte[header + 8 + payload];
        Span<byte> icmp = packet.AsSpan(header);
        icmp[0] = v6 ? (byte)(request ? 128 : 129) : (byte)(request ? 8 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        for (int i = 0; i < payload; i++)
        {
            icmp[8 + i] = (byte)(i + sequence);
        }

        if (v6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet, 6u << 28);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(8 + payload));
            packet[6] = 58;
            packet[7] = 64;
            source.GetAddressBytes().CopyTo(packet, 8);
            destination.GetAddressBytes().CopyTo(packet, 24);
            uint sum = Sum(packet.AsSpan(8, 32)) + (uint)(8 + payload) + 58;
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Fold(sum + Sum(icmp)));
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[6] = 0x40;
            packet[8] = 64;
            packet[9] = 1;
            source.GetAddressBytes().CopyTo(packet, 12);
            destination.GetAddressBytes().CopyTo(packet, 16);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Fold(Sum(packet.AsSpan(0, 20))));
            BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Fold(Sum(icmp)));
        }

        return packet;
    }

    /// <summary>Whether <paramref name="packet"/> is an echo reply from <paramref name="from"/> with this id and sequence.</summary>
    public static bool IsEchoReply(ReadOnlySpan<byte> packet, IPAddress from, ushort id, ushort sequence)
    {
        bool v6 = from.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        int header = v6 ? 40 : 20;
        if (packet.Length < header + 8 || (packet[0] >> 4) != (v6 ? 6 : 4))
        {
            return false;
        }

        var source = new IPAddress(packet.Slice(v6 ? 8 : 12, v6 ? 16 : 4));
        ReadOnlySpan<byte> icmp = packet[header..];
        return source.Equals(from) && icmp[0] == (v6 ? 129 : 0)
            && BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) == id && BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]) == sequence;
    }

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        return sum;
    }

    private static ushort Fold(uint sum)
    {
        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
