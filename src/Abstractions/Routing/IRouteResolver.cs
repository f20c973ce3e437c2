namespace RouterHost.Abstractions.Routing;

/// <summary>
/// The router's route lookup, offered by the routing stage to stages that need a packet's egress before the
/// routing stage has run in their direction (e.g. a firewall matching egress on inbound traffic). Lock-free
/// and allocation-free; thread-safe.
/// </summary>
public interface IRouteResolver
{
    /// <summary>
    /// Looks up the egress for <paramref name="destination"/> (4 or 16 address bytes); ECMP members are chosen
    /// by <paramref name="flowHash"/>. False when there is no route.
    /// </summary>
    bool TryResolve(ReadOnlySpan<byte> destination, uint flowHash, out PortId egress);
}
