using System.Net;
using System.Net.Sockets;
using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Routing.Stage;

/// <summary>
/// What the Routing stage's workers read: built whole off the data path (at start and on every reload) and
/// swapped in with one <see cref="Volatile.Write{T}(ref T, T)"/>, so a batch always sees one consistent table.
/// </summary>
internal sealed class RoutingSnapshot
{
    private readonly int[] _interfaceMtu;
    private readonly int[] _peerMtu;

    private RoutingSnapshot(RoutingTable table, AllowedPrefixes allowed, RoutingSettings settings, IPAddress? source4, IPAddress? source6, int[] interfaceMtu, int[] peerMtu, IReadOnlyList<IPAddress> localAddresses)
    {
        Table = table;
        Allowed = allowed;
        Settings = settings;
        IcmpSource4 = source4?.GetAddressBytes() ?? [];
        IcmpSource6 = source6?.GetAddressBytes() ?? [];
        _interfaceMtu = interfaceMtu;
        _peerMtu = peerMtu;
        LocalAddresses = localAddresses;
    }

    public RoutingTable Table { get; }

    public AllowedPrefixes Allowed { get; }

    public RoutingSettings Settings { get; }

    /// <summary>
    /// The ICMPv4 error source address (4 bytes): <see cref="RoutingSettings.IcmpSourceIPv4"/>, else the first of the
    /// router's own IPv4 addresses; empty when there is neither.
    /// </summary>
    public byte[] IcmpSource4 { get; }

    /// <summary>The ICMPv6 error source address (16 bytes), chosen alike; empty when there is none.</summary>
    public byte[] IcmpSource6 { get; }

    /// <summary>The addresses the router answers for itself (routes to <see cref="PortId.Local"/>).</summary>
    public IReadOnlyList<IPAddress> LocalAddresses { get; }

    /// <summary>The largest packet <paramref name="port"/> carries (its <see cref="PortInfo.Mtu"/>), or 0 when unknown.</summary>
    public int MtuOf(PortId port)
    {
        int[] table = port.Kind == PortKind.Interface ? _interfaceMtu : port.Kind == PortKind.Peer ? _peerMtu : [];
        int index = port.Index;
        return (uint)index < (uint)table.Length ? table[index] : 0;
    }

    /// <summary>
    /// Resolves the routes' port names (interning their gateways in the stage's <paramref name="nextHops"/>), adds every
    /// peer's allowed prefixes (as routes, unless <see cref="RoutingSettings.PeerRoutes"/> is off, and as the source
    /// check), every interface's connected prefixes (unless <see cref="RoutingSettings.ConnectedRoutes"/> is off; a
    /// configured route to the same prefix wins), and host routes to the router itself for its own addresses (those of
    /// interfaces whose addresses the router owns, and the ICMP source addresses). Problems name key paths.
    /// </summary>
    public static RoutingSnapshot? Build(RoutingSettings settings, IPortRegistry ports, List<ConfigurationProblem> problems, NextHopTable nextHops)
    {
        var builder = new RoutingTableBuilder(nextHops);
        var configured = new HashSet<IpPrefix>();
        foreach (ConfiguredRoute route in settings.Routes)
        {
            configured.Add(route.Prefix);
            if (!ports.TryFind(route.PortName, out PortInfo? port))
            {
                problems.Add(new(route.Path, $"names {(route.IsPeer ? "peer" : "interface")} '{route.PortName}', which this router does not have (it has: {Names(ports)})"));
                continue;
            }

            if ((port.Id.Kind == PortKind.Peer) != route.IsPeer)
            {
                problems.Add(new(route.Path, $"'{route.PortName}' is {(port.Id.Kind == PortKind.Peer ? "a peer: use \"Peer\"" : "an interface: use \"Interface\"")}"));
                continue;
            }

            builder.Add(new Route(route.Prefix, port.Id, route.Via, route.Metric));
        }

        var allowed = new AllowedPrefixesBuilder();
        foreach (PortInfo port in ports.Ports)
        {
            if (port.Id.Kind != PortKind.Peer)
            {
                continue;
            }

            // An IPNetwork has no host bits: every prefix converts.
            foreach (IPNetwork network in port.Prefixes)
            {
                IpPrefix prefix = IpPrefix.FromNetwork(network);
                allowed.Add(port.Id, prefix);
                if (settings.PeerRoutes)
                {
                    builder.Add(new Route(prefix, port.Id, null, settings.PeerRouteMetric));
                }
            }
        }

        IPAddress? source4 = settings.IcmpSourceIPv4;
        IPAddress? source6 = settings.IcmpSourceIPv6;
        var local = new List<IPAddress>();
        var hostStack = new HashSet<IPAddress>();
        int interfaces = 0, peers = 0;
        foreach (PortInfo port in ports.Ports)
        {
            if (port.Id.Kind == PortKind.Interface)
            {
                interfaces = Math.Max(interfaces, port.Id.Index + 1);
                foreach (InterfaceAddress address in port.Addresses)
                {
                    AddConnected(builder, configured, settings, port, address);
                    if (port.AddressOwner == InterfaceAddressOwner.Router)
                    {
                        local.Add(address.Address);
                        source4 ??= address.IsIPv6 ? null : address.Address;
                        source6 ??= address.IsIPv6 && !address.Address.IsIPv6LinkLocal ? address.Address : null;
                    }
                    else
                    {
                        hostStack.Add(address.Address);
                    }
                }
            }
            else if (port.Id.Kind == PortKind.Peer)
            {
                peers = Math.Max(peers, port.Id.Index + 1);
            }
        }

        // The ICMP source addresses are the router's own too, unless the host behind an interface has them (then it
        // answers for them, and packets to them go to it).
        foreach (IPAddress? source in (ReadOnlySpan<IPAddress?>)[settings.IcmpSourceIPv4, settings.IcmpSourceIPv6])
        {
            if (source is not null && !hostStack.Contains(source) && !local.Contains(source))
            {
                local.Add(source);
            }
        }

        foreach (IPAddress address in local)
        {
            IpPrefix host = IpPrefix.Create(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            if (!configured.Contains(host))
            {
                builder.Add(new Route(host, PortId.Local));
            }
        }

        var interfaceMtu = new int[interfaces];
        var peerMtu = new int[peers];
        foreach (PortInfo port in ports.Ports)
        {
            if (port.Id.Kind == PortKind.Interface)
            {
                interfaceMtu[port.Id.Index] = port.Mtu;
            }
            else if (port.Id.Kind == PortKind.Peer)
            {
                peerMtu[port.Id.Index] = port.Mtu;
            }
        }

        return problems.Count == 0
            ? new RoutingSnapshot(builder.Build(), allowed.Build(), settings, source4, source6, interfaceMtu, peerMtu, local)
            : null;
    }

    /// <summary>
    /// The route to the prefix <paramref name="address"/> is on, through its interface, unless connected routes are
    /// off, a configured route names the same prefix (it wins), or the prefix is link-local (every interface has
    /// fe80::/64; a route could only pick one of them).
    /// </summary>
    private static void AddConnected(RoutingTableBuilder builder, HashSet<IpPrefix> configured, RoutingSettings settings, PortInfo port, InterfaceAddress address)
    {
        if (!settings.ConnectedRoutes || address.Address.IsIPv6LinkLocal)
        {
            return;
        }

        IpPrefix prefix = IpPrefix.Containing(address.Address, address.PrefixLength);
        if (!configured.Contains(prefix))
        {
            builder.Add(new Route(prefix, port.Id));
        }
    }

    private static string Names(IPortRegistry ports)
    {
        var names = new List<string>();
        foreach (PortInfo port in ports.Ports)
        {
            names.Add(port.Name);
        }

        return names.Count == 0 ? "no ports" : string.Join(", ", names);
    }
}
