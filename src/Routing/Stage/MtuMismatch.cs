using RouterHost.Abstractions;

namespace RouterHost.Routing.Stage;

/// <summary>
/// An interface whose MTU is larger than the inner MTU of a tunnel its traffic can be routed into (the smallest MTU
/// among the peers one stage registered): its hosts send packets the tunnel cannot carry whole, so the router answers
/// them with fragmentation-needed / packet-too-big. Worth a warning, not an error: path MTU discovery copes.
/// </summary>
internal readonly record struct MtuMismatch(string Interface, int InterfaceMtu, string Tunnel, int TunnelMtu)
{
    public static List<MtuMismatch> Find(IReadOnlyList<PortInfo> ports)
    {
        var tunnels = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (PortInfo port in ports)
        {
            if (port.Id.Kind == PortKind.Peer && port.Mtu > 0)
            {
                tunnels[port.Owner] = tunnels.TryGetValue(port.Owner, out int mtu) ? Math.Min(mtu, port.Mtu) : port.Mtu;
            }
        }

        var found = new List<MtuMismatch>();
        foreach (PortInfo port in ports)
        {
            if (port.Id.Kind != PortKind.Interface || port.Mtu == 0)
            {
                continue;
            }

            foreach ((string tunnel, int mtu) in tunnels)
            {
                if (port.Mtu > mtu)
                {
                    found.Add(new MtuMismatch(port.Name, port.Mtu, tunnel, mtu));
                }
            }
        }

        return found;
    }
}
