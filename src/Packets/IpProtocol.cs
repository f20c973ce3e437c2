namespace RouterHost.Packets;

/// <summary>IP protocol / IPv6 next-header numbers the parsers know (IANA "Assigned Internet Protocol Numbers").</summary>
public static class IpProtocol
{
    /// <summary>IPv6 hop-by-hop options.</summary>
    public const byte HopByHop = 0;

    /// <summary>ICMP for IPv4.</summary>
    public const byte Icmp = 1;

    /// <summary>TCP.</summary>
    public const byte Tcp = 6;

    /// <summary>UDP.</summary>
    public const byte Udp = 17;

    /// <summary>IPv6 routing header.</summary>
    public const byte Routing = 43;

    /// <summary>IPv6 fragment header.</summary>
    public const byte Fragment = 44;

    /// <summary>Encapsulating security payload.</summary>
    public const byte Esp = 50;

    /// <summary>Authentication header.</summary>
    public const byte AuthenticationHeader = 51;

    /// <summary>ICMP for IPv6.</summary>
    public const byte IcmpV6 = 58;

    /// <summary>IPv6 "no next header".</summary>
    public const byte NoNextHeader = 59;

    /// <summary>IPv6 destination options.</summary>
    public const byte DestinationOptions = 60;
}
