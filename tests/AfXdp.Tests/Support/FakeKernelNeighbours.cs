using System.Net;
using System.Net.NetworkInformation;
using RouterHost.Netlink;
using RouterHost.Plugins.AfXdp.Internal;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>The kernel's neighbour table of one device, faked: entries a test sets, and the solicitations asked for.</summary>
internal sealed class FakeKernelNeighbours : INeighbourSource
{
    public Dictionary<IPAddress, NeighbourInfo> Entries { get; } = [];

    public List<IPAddress> Solicited { get; } = [];

    public List<(IPAddress, int)> Prefixes { get; } = [];

    public int Gets { get; private set; }

    /// <summary>What a solicitation does: by default, the kernel starts resolving (an INCOMPLETE entry).</summary>
    public Action<IPAddress>? OnSolicit { get; set; }

    public void Resolve(string address, string mac, NeighbourState state = NeighbourState.Reachable) =>
        Entries[IPAddress.Parse(address)] = new NeighbourInfo(3, IPAddress.Parse(address), PhysicalAddress.Parse(mac), state, 0);

    public void Fail(string address) =>
        Entries[IPAddress.Parse(address)] = new NeighbourInfo(3, IPAddress.Parse(address), null, NeighbourState.Failed, 0);

    public NeighbourInfo? Get(IPAddress address)
    {
        Gets++;
        return Entries.GetValueOrDefault(address);
    }

    public void Solicit(IPAddress address)
    {
        Solicited.Add(address);
        if (OnSolicit is not null)
        {
            OnSolicit(address);
        }
        else if (!Entries.ContainsKey(address))
        {
            Entries[address] = new NeighbourInfo(3, address, null, NeighbourState.Incomplete, 0);
        }
    }

    public IReadOnlyList<(IPAddress Address, int PrefixLength)> LocalPrefixes() => Prefixes;
}
