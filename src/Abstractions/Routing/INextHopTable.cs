namespace RouterHost.Abstractions.Routing;

/// <summary>
/// The router's next hops (gateway addresses of its routes) by id, published by the routing stage through
/// <see cref="IStageServices"/> so that a backend which addresses frames to a neighbour (Ethernet: AF_XDP) can
/// resolve <see cref="Packet.NextHop"/>. Ids start at 1 (0 is "the destination itself"), are never reused and
/// keep their address for the router's lifetime, across reloads, so a backend may cache what it resolved per id.
/// Lock-free and allocation-free; thread-safe.
/// </summary>
public interface INextHopTable
{
    /// <summary>The highest id handed out so far (ids are 1 .. <see cref="Count"/>).</summary>
    int Count { get; }

    /// <summary>
    /// Writes next hop <paramref name="id"/>'s address into <paramref name="destination"/> (4 bytes for IPv4,
    /// 16 for IPv6) and returns its length; 0 when there is no such id or the span is too short.
    /// </summary>
    int CopyAddress(int id, Span<byte> destination);
}
