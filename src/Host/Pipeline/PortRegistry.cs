using RouterHost.Abstractions;

namespace RouterHost.Pipeline;

/// <summary>The router's ports: interfaces from configuration, peers registered by stages. Thread-safe.</summary>
internal sealed class PortRegistry : IPortRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PortInfo> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<PortId, PortInfo> _byId = [];
    private PortInfo[] _ports = [];
    private int _interfaceCount;
    private int _peerCount;

    public IReadOnlyList<PortInfo> Ports => Volatile.Read(ref _ports);

    /// <summary>
    /// Raised (outside the registry's lock, on the thread that made the change) after a peer was added or removed, so
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

    public PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage) => AddPeer(name, groups, ownerStage, [], 0);

    public PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage, IReadOnlyList<string> prefixes) => AddPeer(name, groups, ownerStage, prefixes, 0);

    public PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage, IReadOnlyList<string> prefixes, int mtu)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(prefixes);
        ArgumentOutOfRangeException.ThrowIfNegative(mtu);
        PortInfo added;
        lock (_lock)
        {
            added = Add(PortId.Peer(_peerCount++), name, groups, ownerStage, prefixes, mtu);
        }

        PeersChanged?.Invoke();
        return added;
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
            Volatile.Write(ref _ports, ports);
            return updated;
        }
    }

    private PortInfo Add(PortId id, string name, IReadOnlyList<string> groups, string owner, IReadOnlyList<string>? prefixes = null, int mtu = 0)
    {
        if (_byName.TryGetValue(name, out PortInfo? existing))
        {
            throw new InvalidOperationException($"Port name '{name}' of {owner} is already used by {existing.Owner} ({existing.Id}); port names must be unique across interfaces and peers.");
        }

        var info = new PortInfo(id, name, groups.ToArray(), owner) { Prefixes = prefixes?.ToArray() ?? [], Mtu = mtu };
        _byName.Add(name, info);
        _byId.Add(id, info);
        Volatile.Write(ref _ports, [.. _ports, info]);
        return info;
    }
}
