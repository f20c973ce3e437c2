using RouterHost.Abstractions;

namespace RouterHost.Samples.Capture.Tests;

/// <summary>A fixed set of ports for driving the stage by hand.</summary>
internal sealed class TestPorts(params PortInfo[] ports) : IPortRegistry
{
    public IReadOnlyList<PortInfo> Ports => ports;

    public event EventHandler<PortsChangedEventArgs>? PortsChanged
    {
        add { }
        remove { }
    }

    public bool TryFind(string name, out PortInfo port)
    {
        port = ports.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))!;
        return port is not null;
    }

    public bool TryGet(PortId id, out PortInfo port)
    {
        port = ports.FirstOrDefault(p => p.Id == id)!;
        return port is not null;
    }

    public PortInfo AddPeer(string ownerStage, PeerRegistration peer) => throw new NotSupportedException();

    public IReadOnlyList<PortInfo> ChangePeers(string ownerStage, PeerChanges changes) => throw new NotSupportedException();
}
