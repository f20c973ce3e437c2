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
        if (!IpPacket.TryParse(packet, out IpPacket ip).IsNone || !ip.Layout.HasTransportHeader)
        {
            return false;
        }

        ReadOnlySpan<byte> transport = ip.Transport;
        if (transport.Length <= IcmpHeader.Length)
        {
            return false;
        }

        // The quote is cut short, so it is read by its fixed header alone: the addresses, the protocol, where L4 starts.
        ReadOnlySpan<byte> inner = transport[IcmpHeader.Length..];
        ReadOnlySpan<byte> source = IpPacket.SourceOf(inner);
        if (source.Length != (outer.IsIPv6 ? Ipv6Header.AddressLength : Ipv4Header.AddressLength))
        {
            return false;
        }

        int headerLength;
        if (outer.IsIPv6)
        {
            quoted.Protocol = inner[Ipv6Header.NextHeaderOffset];
            headerLength = Ipv6Header.Length;
        }
        else
        {
            quoted.Protocol = inner[Ipv4Header.ProtocolOffset];
            headerLength = Ipv4Header.HeaderLengthOf(inner);
            if (headerLength < Ipv4Header.MinLength)
            {
                return false;
            }
        }

        if (inner.Length < headerLength + 8)
        {
            quoted = default;
            return false;
        }

        quoted.IsIPv6 = outer.IsIPv6;
        quoted.Source = IpPacket.ToNumber(source);
        quoted.Destination = IpPacket.ToNumber(IpPacket.DestinationOf(inner));

        ReadOnlySpan<byte> l4 = inner[headerLength..];
        switch (quoted.Protocol)
        {
            case IpProtocol.Tcp or IpProtocol.Udp:
                // Both start with the two ports, which are all a quote's first 8 bytes are read for.
                IpPacket.ReadPorts(l4, out quoted.SourcePort, out quoted.DestinationPort);
                quoted.HasPorts = true;
                break;
            case IpProtocol.Icmp or IpProtocol.IcmpV6:
                IcmpHeader.TryRead(l4, out IcmpHeader icmp);
                quoted.SetIcmp(icmp);
                break;
        }

        quoted.Ingress = outer.Ingress;
        quoted.Egress = outer.Egress;
        return true;
    }
}
