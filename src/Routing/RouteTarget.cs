using System.Buffers.Binary;
using System.Net;
using RouterHost.Abstractions;

namespace RouterHost.Routing;

/// <summary>
/// Where a lookup sends a packet: the egress port (an interface or a peer), the gateway to hand it to on that
/// interface (when there is one), the route's metric and the length of the prefix that matched. Plain data,
/// copied out of the table by value. A target with a gateway also carries the gateway's id in the table's
/// <see cref="NextHopTable"/> (<see cref="NextHop"/>), which the routing stage puts on the packet.
/// </summary>
public readonly struct RouteTarget : IEquatable<RouteTarget>
{
    private readonly ulong _gatewayHigh;
    private readonly ulong _gatewayLow;
    private readonly PortId _port;
    private readonly uint _metric;
    private readonly byte _prefixLength;
    private readonly byte _gatewayFamily; // 0 none, 4 IPv4, 6 IPv6
    private readonly int _nextHop;

    internal RouteTarget(PortId port, byte gatewayFamily, UInt128 gateway, uint metric, int prefixLength, int nextHop = 0)
    {
        _nextHop = nextHop;
        _port = port;
        _gatewayFamily = gatewayFamily;
        _gatewayHigh = (ulong)(gateway >> 64);
        _gatewayLow = (ulong)gateway;
        _metric = metric;
        _prefixLength = (byte)prefixLength;
    }

    /// <summary>The egress: an interface or a peer.</summary>
    public PortId Port => _port;

    /// <summary>The route's metric (lower is preferred).</summary>
    public uint Metric => _metric;

    /// <summary>The length of the prefix that matched.</summary>
    public int PrefixLength => _prefixLength;

    /// <summary>
    /// The gateway's id in the table's <see cref="NextHopTable"/> (for <see cref="Abstractions.Packet.NextHop"/>), or 0
    /// when there is no gateway. Derived from the gateway, so it takes no part in equality.
    /// </summary>
    public int NextHop => _nextHop;

    /// <summary>Whether the packet goes to a gateway (next hop) rather than directly to its destination.</summary>
    public bool HasGateway => _gatewayFamily != 0;

    /// <summary>Writes the gateway's 4 or 16 bytes and returns how many (0 when there is none or it does not fit).</summary>
    public int WriteGateway(Span<byte> destination)
    {
        if (_gatewayFamily == 4 && destination.Length >= 4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_gatewayLow);
            return 4;
        }

        if (_gatewayFamily == 6 && destination.Length >= 16)
        {
            BinaryPrimitives.WriteUInt64BigEndian(destination, _gatewayHigh);
            BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _gatewayLow);
            return 16;
        }

        return 0;
    }

    /// <summary>The gateway as an <see cref="IPAddress"/> (allocates; for the control plane and logs), or null.</summary>
    public IPAddress? Gateway
    {
        get
        {
            if (_gatewayFamily == 0)
            {
                return null;
            }

            Span<byte> bytes = stackalloc byte[16];
            int length = WriteGateway(bytes);
            return new IPAddress(bytes[..length]);
        }
    }

    /// <summary>The gateway's family and bits, for identity and hashing.</summary>
    internal byte GatewayFamily => _gatewayFamily;

    internal ulong GatewayHigh => _gatewayHigh;

    internal ulong GatewayLow => _gatewayLow;

    /// <summary>Same port, gateway and metric (the prefix length is the group's, so it is compared too).</summary>
    public bool Equals(RouteTarget other) =>
        _port == other._port && _gatewayFamily == other._gatewayFamily && _gatewayHigh == other._gatewayHigh
        && _gatewayLow == other._gatewayLow && _metric == other._metric && _prefixLength == other._prefixLength;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RouteTarget other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_port, _gatewayFamily, _gatewayHigh, _gatewayLow, _metric, _prefixLength);

    /// <inheritdoc />
    public override string ToString() =>
        HasGateway ? $"via {Gateway} dev {_port} metric {_metric} (/{_prefixLength})" : $"dev {_port} metric {_metric} (/{_prefixLength})";

    /// <summary>Equality.</summary>
    public static bool operator ==(RouteTarget left, RouteTarget right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(RouteTarget left, RouteTarget right) => !left.Equals(right);
}
