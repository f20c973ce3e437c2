using System.Net;
using System.Net.Sockets;
using RouterHost.Linux;

namespace RouterHost.Netlink;

/// <summary>
/// The addresses and routes RouterHost keeps on one device, marked as its own with <see cref="RtProtocol.RouterHost"/>
/// (IFA_PROTO on addresses, rtm_protocol on routes) so that ownership survives the process: a run that was killed leaves
/// them on a device that stays (a persistent TUN, a NIC), and the next run recognises them — it adopts those it wants
/// (and removes them at its close as if it had added them) and removes at once those it no longer wants. What anyone
/// else put there (another protocol, or none) is left alone, even when it equals what the configuration asks for.
/// </summary>
/// <remarks>
/// A mark is written in the same netlink request as the address or route, so there is no moment at which RouterHost has
/// added something it would not recognise (a state file written after the add would have one). A kernel older than 6.1
/// keeps no IFA_PROTO: there a killed run's addresses look like someone else's and stay, as they did before.
/// </remarks>
public sealed class DeviceConfiguration
{
    private readonly List<(IPAddress Address, int PrefixLength)> _addresses = [];
    private readonly List<DeviceRoute> _routes = [];
    private bool _promoting;

    /// <summary>A device's configuration, by interface index.</summary>
    public DeviceConfiguration(int interfaceIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(interfaceIndex);
        InterfaceIndex = interfaceIndex;
    }

    /// <summary>The device.</summary>
    public int InterfaceIndex { get; }

    /// <summary>Addresses that are this run's to remove: added now, or left by an earlier run and adopted.</summary>
    public IReadOnlyList<(IPAddress Address, int PrefixLength)> Addresses => _addresses;

    /// <summary>Routes that are this run's to remove.</summary>
    public IReadOnlyList<DeviceRoute> Routes => _routes;

    /// <summary>
    /// Puts the wanted addresses on the device: removes RouterHost's addresses it does not want, adds the missing ones
    /// with RouterHost's mark, adopts RouterHost's that are there already, and leaves anyone else's. Returns what it did.
    /// </summary>
    public IReadOnlyList<ConfigurationChange> ApplyAddresses(RtnetlinkClient netlink, IEnumerable<(IPAddress Address, int PrefixLength)> wanted)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(wanted);
        var changes = new List<ConfigurationChange>();
        var want = wanted.ToList();
        IReadOnlyList<AddressInfo> present = netlink.ListAddresses(InterfaceIndex);
        foreach (AddressInfo address in present)
        {
            if (address.Protocol == RtProtocol.RouterHost && !want.Contains((address.Address, address.PrefixLength)))
            {
                KeepSecondaries(netlink, address.Address, address.PrefixLength, changes);
                netlink.DeleteAddress(InterfaceIndex, address.Address, address.PrefixLength, missingIsSuccess: true);
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.LeftoverRemoved, $"address {address.Address}/{address.PrefixLength}"));
            }
        }

        foreach ((IPAddress address, int prefixLength) in want)
        {
            AddressInfo? there = present.FirstOrDefault(a => a.Address.Equals(address) && a.PrefixLength == prefixLength);
            string what = $"address {address}/{prefixLength}";
            if (there is null)
            {
                netlink.AddAddress(InterfaceIndex, address, prefixLength, protocol: RtProtocol.RouterHost);
                _addresses.Add((address, prefixLength));
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.Added, what));
            }
            else if (there.Protocol == RtProtocol.RouterHost)
            {
                _addresses.Add((address, prefixLength));
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.Adopted, what));
            }
            else
            {
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.LeftAlone, what));
            }
        }

        return changes;
    }

    /// <summary>
    /// Puts the wanted routes (out of the device, each in its table) in place, as <see cref="ApplyAddresses"/> does
    /// addresses. A wanted route the kernel refuses with EEXIST that is not RouterHost's is someone else's and is left
    /// alone. It may be called again with another set (peers that came or went): RouterHost's routes on the device that
    /// the new set does not hold are removed, so each call leaves exactly the wanted set as this run's.
    /// </summary>
    public IReadOnlyList<ConfigurationChange> ApplyRoutes(RtnetlinkClient netlink, IEnumerable<DeviceRoute> wanted)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        ArgumentNullException.ThrowIfNull(wanted);
        var changes = new List<ConfigurationChange>();
        var want = wanted.Distinct().ToList();
        var ours = new List<RouteInfo>();
        foreach (AddressFamily family in (ReadOnlySpan<AddressFamily>)[AddressFamily.InterNetwork, AddressFamily.InterNetworkV6])
        {
            foreach (RouteInfo route in netlink.ListRoutes(family, table: null))
            {
                if (route.OutputInterfaceIndex == InterfaceIndex && route.Protocol == RtProtocol.RouterHost)
                {
                    ours.Add(route);
                }
            }
        }

        // Sets of what DeviceRoute.Matches compares: a hub's reload diffs 10 000 routes against 10 000 (pairwise, 10^8 tries).
        var owned = _routes.ToHashSet();
        var wantKeys = new HashSet<RouteKey>(want.Count);
        foreach (DeviceRoute route in want)
        {
            wantKeys.Add(RouteKey.Of(route));
        }

        var ownedKeys = new HashSet<RouteKey>(owned.Count);
        foreach (DeviceRoute route in owned)
        {
            ownedKeys.Add(RouteKey.Of(route));
        }

        var ourKeys = new HashSet<RouteKey>(ours.Count);
        foreach (RouteInfo route in ours)
        {
            ourKeys.Add(RouteKey.Of(route));
        }

        foreach (RouteInfo route in ours)
        {
            if (!wantKeys.Contains(RouteKey.Of(route)))
            {
                netlink.DeleteRoute(route.Destination, route.PrefixLength, InterfaceIndex, route.Gateway, route.Metric, route.Table, missingIsSuccess: true);
                bool earlierRun = !ownedKeys.Contains(RouteKey.Of(route));
                changes.Add(new ConfigurationChange(earlierRun ? ConfigurationChangeKind.LeftoverRemoved : ConfigurationChangeKind.Removed, $"route {DeviceRoute.Describe(route)}"));
            }
        }

        _routes.Clear();
        foreach (DeviceRoute route in want)
        {
            if (ourKeys.Contains(RouteKey.Of(route)))
            {
                _routes.Add(route);
                if (!owned.Contains(route))
                {
                    changes.Add(new ConfigurationChange(ConfigurationChangeKind.Adopted, $"route {route}"));
                }

                continue;
            }

            try
            {
                netlink.AddRoute(route.Destination, route.PrefixLength, InterfaceIndex, route.Gateway, route.Metric, route.Table, protocol: RtProtocol.RouterHost);
                _routes.Add(route);
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.Added, $"route {route}"));
            }
            catch (NetlinkException ex) when (ex.Errno == Errno.EEXIST)
            {
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.LeftAlone, $"route {route}"));
            }
        }

        return changes;
    }

    /// <summary>
    /// Removes this run's routes, then its addresses; one already gone is fine. Returns what it did beyond that (see
    /// <see cref="ConfigurationChangeKind.SecondariesPromoted"/>).
    /// </summary>
    public IReadOnlyList<ConfigurationChange> Remove(RtnetlinkClient netlink)
    {
        ArgumentNullException.ThrowIfNull(netlink);
        var changes = new List<ConfigurationChange>();
        foreach (DeviceRoute route in _routes)
        {
            netlink.DeleteRoute(route.Destination, route.PrefixLength, InterfaceIndex, route.Gateway, route.Metric, route.Table, missingIsSuccess: true);
        }

        foreach ((IPAddress address, int prefixLength) in _addresses)
        {
            KeepSecondaries(netlink, address, prefixLength, changes);
            netlink.DeleteAddress(InterfaceIndex, address, prefixLength, missingIsSuccess: true);
        }

        _routes.Clear();
        _addresses.Clear();
        return changes;
    }

    // Removing a primary IPv4 address removes the secondaries of its subnet with it, unless the device promotes them:
    // when someone else's address shares the subnet of one of ours, promote_secondaries is turned on first (systemd's
    // default for every device), so only ours goes.
    private void KeepSecondaries(RtnetlinkClient netlink, IPAddress address, int prefixLength, List<ConfigurationChange> changes)
    {
        if (_promoting || address.AddressFamily != AddressFamily.InterNetwork)
        {
            return;
        }

        foreach (AddressInfo other in netlink.ListAddresses(InterfaceIndex))
        {
            if (other.Address.AddressFamily == AddressFamily.InterNetwork && other.PrefixLength == prefixLength && other.Protocol != RtProtocol.RouterHost
                && !other.Address.Equals(address) && SameSubnet(other.Address, address, prefixLength))
            {
                netlink.SetPromoteSecondaries(InterfaceIndex, true);
                _promoting = true;
                changes.Add(new ConfigurationChange(ConfigurationChangeKind.SecondariesPromoted, $"address {other.Address}/{other.PrefixLength}"));
                return;
            }
        }
    }

    private static bool SameSubnet(IPAddress a, IPAddress b, int prefixLength)
    {
        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        uint x = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(a.GetAddressBytes());
        uint y = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b.GetAddressBytes());
        return (x & mask) == (y & mask);
    }

    /// <summary>What <see cref="DeviceRoute.Matches"/> compares (table, prefix, next hop, metric with the kernel's default filled in), as a set key.</summary>
    private readonly record struct RouteKey(IPAddress Destination, int PrefixLength, int Table, IPAddress? Gateway, int Metric)
    {
        public static RouteKey Of(DeviceRoute route) =>
            new(route.Destination, route.PrefixLength, route.Table, route.Gateway,
                route.Metric ?? (route.Destination.AddressFamily == AddressFamily.InterNetworkV6 ? DeviceRoute.DefaultIPv6Metric : 0));

        public static RouteKey Of(RouteInfo route) => new(route.Destination, route.PrefixLength, route.Table, route.Gateway, route.Metric ?? 0);
    }
}
