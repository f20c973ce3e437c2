namespace RouterHost.Firewall;

/// <summary>An inclusive range of TCP/UDP ports.</summary>
/// <param name="First">The lowest port in the range.</param>
/// <param name="Last">The highest port in the range (at least <paramref name="First"/>).</param>
public readonly record struct PortRange(ushort First, ushort Last)
{
    /// <summary>A single port.</summary>
    public static PortRange Single(ushort port) => new(port, port);

    /// <summary>Whether <paramref name="port"/> lies in the range.</summary>
    public bool Contains(ushort port) => port >= First && port <= Last;

    /// <inheritdoc />
    public override string ToString() => First == Last ? $"{First}" : $"{First}-{Last}";
}
