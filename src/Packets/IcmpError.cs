namespace RouterHost.Packets;

/// <summary>The ICMP errors a router sends about a packet it cannot deliver.</summary>
public enum IcmpError : byte
{
    /// <summary>TTL / hop limit ran out in transit (v4 type 11 code 0, v6 type 3 code 0).</summary>
    TimeExceeded,

    /// <summary>No route to the destination (v4 type 3 code 0 net unreachable, v6 type 1 code 0 no route).</summary>
    NoRoute,

    /// <summary>Refused by policy (v4 type 3 code 13, v6 type 1 code 1).</summary>
    AdministrativelyProhibited,

    /// <summary>Too big for the next link (v4 type 3 code 4 with the MTU, v6 type 2 with the MTU).</summary>
    PacketTooBig,
}
