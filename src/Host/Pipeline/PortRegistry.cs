using System.Net;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Links;

namespace RouterHost.Pipeline;

/// <summary>
/// The router's ports: interfaces from configuration, peers registered by stages, and changed by them
/// while the router runs. Thread-safe; <see cref="Ports"/> is an immutable list swapped whole (an added port is appended
/// past the end of the list readers hold, so registering a hub's peers one by one costs no copy per peer). Peer ids are handed
/// out in order and never reused, so a packet still carrying a removed peer's id cannot reach a new peer.
/// </summary>
internal sealed class PortRegistry : IPortRegistry
{
    private readonly Lock _lock = new();
    private readonly Lock _changeLock = new();
    private readonly Dictionary<string, PortInfo> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<PortId, PortInfo> _byId = [];
    private PortList _ports = PortList.Empty;
    private int _interfaceCount;
    private int _peerCount;

    /// <inheritdoc/>
    public event EventHandler<PortsChangedEventArgs>? PortsChanged;

    public IReadOnlyList<PortInfo> Ports => Volatile.Read(ref _ports);

    /// <summary>
    /// Raised (outside the registry's lock, on the thread that made the change) after a peer was added, changed or removed (<see cref="AddPeer"/>, <see cref="ChangePeers"/>), so
    /// what follows the peers outside the data path (the kernel routes of <see cref="KernelRoutes"/>) can follow.
    /// </summary>
    public event Action? PeersChanged;

    public int InterfaceCount => Volatile.Read(ref _interfaceCount);

    public bool TryFind(string name, out PortInfo port)
    {
        lock (_lock)
        {
            return _byName.TryGetValue(name, out port!);
        }
    }

    public bool TryGet(PortId id, out PortInfo port)
    {
        lock (_lock)
        {
            return _byId.TryGetValue(id, out port!);
        }
    }

    public PortInfo AddInterface(string name, IReadOnlyList<string> groups, string backend)
    {
        lock (_lock)
        {
            return Add(PortId.Interface(_interfaceCount++), name, groups, backend);
        }
    }

    public PortInfo AddPeer(string ownerStage, PeerRegistration peer)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerStage);
        Check(ownerStage, peer);
        PortInfo added;
        lock (_lock)
        {
            added = Add(PortId.Peer(_peerCount++), peer.Name, peer.Groups, ownerStage, peer.Prefixes, peer.Mtu);
        }

        PeersChanged?.Invoke();
        return added;
    }

    public IReadOnlyList<PortInfo> ChangePeers(string ownerStage, PeerChanges changes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ownerStage);
        ArgumentNullException.ThrowIfNull(changes);
        PortsChangedEventArgs args;
        lock (_changeLock)
        {
            lock (_lock)
            {
                args = ChangePeersLocked(ownerStage, changes);
            }

            // Outside the registry's lock (handlers read it) but inside the change lock: handlers see changes in order.
            if (!changes.IsEmpty)
            {
                PortsChanged?.Invoke(this, args);
            }
        }

        if (!changes.IsEmpty)
        {
            PeersChanged?.Invoke();
        }

        return args.Added;
    }

    private PortsChangedEventArgs ChangePeersLocked(string owner, PeerChanges changes)
    {
        // Check everything first: a refused change leaves the registry as it was.
        // Sets, not list scans: a hub's change may remove or update thousands of its peers at once.
        var removed = new List<PortInfo>();
        var removedIds = new HashSet<PortId>();
        var updatedIds = new HashSet<PortId>();
        var freed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (PortId id in changes.Remove)
        {
            PortInfo peer = OwnedPeer(id, owner, "remove");
            if (!removedIds.Add(peer.Id))
            {
                throw new InvalidOperationException($"Peer '{peer.Name}' ({id}) of {owner} is listed twice for removal.");
            }

            removed.Add(peer);
            freed.Add(peer.Name);
        }

        var updates = new List<(PortInfo Old, PortInfo New)>();
        foreach (PeerUpdate update in changes.Update)
        {
            ArgumentNullException.ThrowIfNull(update);
            PortInfo peer = OwnedPeer(update.Id, owner, "update");
            if (removedIds.Contains(peer.Id) || !updatedIds.Add(peer.Id))
            {
                throw new InvalidOperationException($"Peer '{peer.Name}' ({update.Id}) of {owner} is listed twice in one change.");
            }

            Check(owner, peer.Name, update.Groups, update.Prefixes, update.Mtu);
            updates.Add((peer, peer with { Groups = [.. update.Groups], Prefixes = [.. update.Prefixes], Mtu = update.Mtu }));
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (PeerRegistration add in changes.Add)
        {
            Check(owner, add);
            if (!names.Add(add.Name))
            {
                throw new InvalidOperationException($"Port name '{add.Name}' of {owner} is added twice in one change.");
            }

            if (_byName.TryGetValue(add.Name, out PortInfo? existing) && !freed.Contains(add.Name))
            {
                throw new InvalidOperationException($"Port name '{add.Name}' of {owner} is already used by {existing.Owner} ({existing.Id}); port names must be unique across interfaces and peers.");
            }
        }

        // Then apply, and publish the new list once.
        var ports = new List<PortInfo>(_ports.Count + changes.Add.Count);
        foreach (PortInfo peer in removed)
        {
            _byName.Remove(peer.Name);
            _byId.Remove(peer.Id);
        }

        var updated = new List<PortInfo>();
        foreach ((PortInfo _, PortInfo next) in updates)
        {
            _byName[next.Name] = next;
            _byId[next.Id] = next;
            updated.Add(next);
        }

        foreach (PortInfo port in _ports)
        {
            if (!removedIds.Contains(port.Id))
            {
                ports.Add(updatedIds.Contains(port.Id) ? _byId[port.Id] : port);
            }
        }

        var added = new List<PortInfo>();
        foreach (PeerRegistration add in changes.Add)
        {
            var info = new PortInfo(PortId.Peer(_peerCount++), add.Name, [.. add.Groups], owner) { Prefixes = [.. add.Prefixes], Mtu = add.Mtu };
            _byName.Add(info.Name, info);
            _byId.Add(info.Id, info);
            ports.Add(info);
            added.Add(info);
        }

        Volatile.Write(ref _ports, new PortList([.. ports], ports.Count));
        return new PortsChangedEventArgs(owner, removed, updated, added);
    }

    /// <summary>
    /// Checks a peer to register: a name, groups and prefixes, an MTU of 0 or more. The prefixes need no check: an
    /// <see cref="IPNetwork"/> cannot have host bits (and a default one is 0.0.0.0/0, as .NET defines it).
    /// </summary>
    private static void Check(string owner, PeerRegistration peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentException.ThrowIfNullOrWhiteSpace(peer.Name);
        Check(owner, peer.Name, peer.Groups, peer.Prefixes, peer.Mtu);
    }

    private static void Check(string owner, string name, IReadOnlyList<string> groups, IReadOnlyList<IPNetwork> prefixes, int mtu)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(prefixes);
        if (mtu < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu, $"Peer '{name}' of {owner} has a negative MTU ({mtu}); give its tunnel's inner MTU, or 0 when unknown.");
        }
    }

    private PortInfo OwnedPeer(PortId id, string owner, string what)
    {
        if (id.Kind != PortKind.Peer || !_byId.TryGetValue(id, out PortInfo? peer))
        {
            throw new InvalidOperationException($"Cannot {what} {id} for {owner}: it is not a registered peer.");
        }

        if (!string.Equals(peer.Owner, owner, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Cannot {what} peer '{peer.Name}' ({id}) for {owner}: it belongs to {peer.Owner}.");
        }

        return peer;
    }

    /// <summary>
    /// Records an interface's link (its addresses and MTU, from a container that is an
    /// <see cref="IInterfaceLinkProvider"/>) in its <see cref="PortInfo"/>, before any stage starts.
    /// </summary>
    public PortInfo SetInterfaceLink(PortId id, InterfaceLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        lock (_lock)
        {
            if (id.Kind != PortKind.Interface || !_byId.TryGetValue(id, out PortInfo? existing))
            {
                throw new ArgumentException($"{id} is not a registered interface.", nameof(id));
            }

            PortInfo updated = existing with { Addresses = [.. link.Addresses], AddressOwner = link.Owner, Mtu = Math.Max(0, link.Mtu) };
            _byName[existing.Name] = updated;
            _byId[id] = updated;
            PortInfo[] ports = [.. _ports];
            ports[Array.IndexOf(ports, existing)] = updated;
            Volatile.Write(ref _ports, new PortList(ports, ports.Length));
            return updated;
        }
    }

    private PortInfo Add(PortId id, string name, IReadOnlyList<string> groups, string owner, IReadOnlyList<IPNetwork>? prefixes = null, int mtu = 0)
    {
        if (_byName.TryGetValue(name, out PortInfo? existing))
        {
            throw new InvalidOperationException($"Port name '{name}' of {owner} is already used by {existing.Owner} ({existing.Id}); port names must be unique across interfaces and peers.");
        }

        var info = new PortInfo(id, name, groups.ToArray(), owner) { Prefixes = prefixes?.ToArray() ?? [], Mtu = mtu };
        _byName.Add(name, info);
        _byId.Add(id, info);
        Volatile.Write(ref _ports, _ports.Append(info));
        return info;
    }

    /// <summary>
    /// The first <see cref="Count"/> ports of a buffer that may hold more. No entry below a published list's count is
    /// ever written again: <see cref="Append"/> writes past it (into the same buffer while it has room, else a copy of
    /// twice the size), and every other change builds a new buffer.
    /// </summary>
    private sealed class PortList(PortInfo[] buffer, int count) : IReadOnlyList<PortInfo>
    {
        public static readonly PortList Empty = new([], 0);

        public int Count => count;

        public PortInfo this[int index] => (uint)index < (uint)count ? buffer[index] : throw new ArgumentOutOfRangeException(nameof(index));

        /// <summary>This list and <paramref name="port"/>; called under the registry's lock.</summary>
        public PortList Append(PortInfo port)
        {
            PortInfo[] next = buffer;
            if (count == next.Length)
            {
                next = new PortInfo[Math.Max(4, count * 2)];
                Array.Copy(buffer, next, count);
            }

            next[count] = port;
            return new PortList(next, count + 1);
        }

        public IEnumerator<PortInfo> GetEnumerator()
        {
            for (int i = 0; i < count; i++)
            {
                yield return buffer[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
