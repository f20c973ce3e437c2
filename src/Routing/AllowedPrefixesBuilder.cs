using RouterHost.Abstractions;
using RouterHost.Settings;

namespace RouterHost.Routing;

/// <summary>
/// Builds <see cref="AllowedPrefixes"/> snapshots. As in WireGuard, a prefix belongs to at most one peer:
/// allowing a prefix for a peer takes it away from the peer that had it. Builds are incremental, like
/// <see cref="RoutingTableBuilder"/>'s. Not thread-safe.
/// </summary>
public sealed class AllowedPrefixesBuilder
{
    private readonly RoutingTableBuilder _routes = new();
    private readonly Dictionary<IpPrefix, PortId> _owners = [];
    private readonly Dictionary<PortId, HashSet<IpPrefix>> _byPeer = [];

    /// <summary>How many prefixes are allowed, over all peers.</summary>
    public int Count => _owners.Count;

    /// <summary>Allows <paramref name="prefix"/> for <paramref name="peer"/>, taking it from any other peer.</summary>
    /// <exception cref="ArgumentException">The peer is <see cref="PortId.None"/>.</exception>
    public void Add(PortId peer, IpPrefix prefix)
    {
        if (peer.IsNone)
        {
            throw new ArgumentException($"Allowed prefix {prefix} names no peer.", nameof(peer));
        }

        if (_owners.TryGetValue(prefix, out PortId owner))
        {
            if (owner == peer)
            {
                return;
            }

            Remove(owner, prefix);
        }

        _routes.Add(new Route(prefix, peer));
        _owners.Add(prefix, peer);
        if (!_byPeer.TryGetValue(peer, out HashSet<IpPrefix>? set))
        {
            _byPeer.Add(peer, set = []);
        }

        set.Add(prefix);
    }

    /// <summary>Stops allowing <paramref name="prefix"/> for <paramref name="peer"/>; false when it was not the peer's.</summary>
    public bool Remove(PortId peer, IpPrefix prefix)
    {
        if (!_owners.TryGetValue(prefix, out PortId owner) || owner != peer)
        {
            return false;
        }

        _routes.Remove(new Route(prefix, peer));
        _owners.Remove(prefix);
        _byPeer[peer].Remove(prefix);
        return true;
    }

    /// <summary>Removes every prefix of <paramref name="peer"/> (the peer was removed); returns how many.</summary>
    public int RemovePeer(PortId peer)
    {
        if (!_byPeer.Remove(peer, out HashSet<IpPrefix>? set))
        {
            return 0;
        }

        foreach (IpPrefix prefix in set)
        {
            _routes.Remove(new Route(prefix, peer));
            _owners.Remove(prefix);
        }

        return set.Count;
    }

    /// <summary>Freezes the current prefixes into an immutable snapshot.</summary>
    public AllowedPrefixes Build() => new(_routes.Build());
}
