using System.Buffers.Binary;
using RouterHost.Packets;

namespace RouterHost.Firewall.Stage;

/// <summary>
/// Reads the flow an ICMP error is about from the packet it quotes (netfilter's RELATED): destination
/// unreachable, packet too big, time exceeded and parameter problem must reach the sender of a tracked connection
/// even where the default policy drops, or path-MTU discovery and connection errors break.
/// </summary>
internal static class IcmpRelated
{
    /// <summary>Whether the ICMP type is an error message (v4: 3, 4, 5, 11, 12; v6: 1-4).</summary>
    public static bool IsError(in PacketFields fields) =>
        fields.IsIPv6 ? fields.IcmpType is >= 1 and <= 4 : fields.IcmpType is 3 or 4 or 5 or 11 or 12;

    /// <summary>
    /// The fields of the quoted packet (its addresses, protocol and ports or echo id), or false when the quote is
    /// too short or not of the outer packet's family. Only the first 8 bytes of the quoted transport header are
    /// needed, which every ICMP error carries.
    /// </summary>
    public static bool TryReadQuoted(ReadOnlySpan<byte> packet, in PacketFields outer, out PacketFields quoted)
    {
        quoted = default;
        if (!PacketParser.Parse(packet, out PacketLayout layout).IsNone || !layout.HasTransportHeader)
        {
            return false;
        }

        int start = layout.TransportOffset + 8;
        if (start >= packet.Length)
        {
            return false;
        }

        ReadOnlySpan<byte> inner = packet[start..];
        int transport;
        if (outer.IsIPv6)
        {
            if (inner.Length < 40 || inner[0] >> 4 != 6)
            {
                return false;
            }

            quoted.IsIPv6 = true;
            quoted.Protocol = inner[6];
            quoted.Source = BinaryPrimitives.ReadUInt128BigEndian(inner[8..]);
            quoted.Destination = BinaryPrimitives.ReadUInt128BigEndian(inner[24..]);
            transport = 40;
        }
        else
        {
            if (inner.Length < 20 || inner[0] >> 4 != 4 || (inner[0] & 0xF) < 5)
            {
                return false;
            }

            quoted.Protocol = inner[9];
            quoted.Source = BinaryPrimitives.ReadUInt32BigEndian(inner[12..]);
            quoted.Destination = BinaryPrimitives.ReadUInt32BigEndian(inner[16..]);
            transport = (inner[0] & 0xF) * 4;
        }

        if (inner.Length < transport + 8)
        {
            return false;
        }

        ReadOnlySpan<byte> l4 = inner[transport..];
        switch (quoted.Protocol)
        {
            case IpProtocol.Tcp or IpProtocol.Udp:
                quoted.HasPorts = true;
                quoted.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                quoted.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6:
                quoted.IsIcmp = true;
                quoted.IcmpType = l4[0];
                quoted.IcmpCode = l4[1];
                quoted.IcmpIdentifier = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                break;
        }

        quoted.Ingress = outer.Ingress;
        quoted.Egress = outer.Egress;
        return true;
    }
}
