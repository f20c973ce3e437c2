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

    public PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage) => AddPeer(name, groups, ownerStage, []);

    public PortInfo AddPeer(string name, IReadOnlyList<string> groups, string ownerStage, IReadOnlyList<string> prefixes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(prefixes);
        lock (_lock)
        {
            return Add(PortId.Peer(_peerCount++), name, groups, ownerStage, prefixes);
        }
    }

    private PortInfo Add(PortId id, string name, IReadOnlyList<string> groups, string owner, IReadOnlyList<string>? prefixes = null)
    {
        if (_byName.TryGetValue(name, out PortInfo? existing))
        {
            throw new InvalidOperationException($"Port name '{name}' of {owner} is already used by {existing.Owner} ({existing.Id}); port names must be unique across interfaces and peers.");
        }

        var info = new PortInfo(id, name, groups.ToArray(), owner) { Prefixes = prefixes?.ToArray() ?? [] };
        _byName.Add(name, info);
        _byId.Add(id, info);
        Volatile.Write(ref _ports, [.. _ports, info]);
        return info;
    }
}
