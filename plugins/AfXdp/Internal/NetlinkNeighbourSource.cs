using System.Net;
using RouterHost.Netlink;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>The kernel's neighbour table of one device over rtnetlink (the client was opened in the device's namespace).</summary>
internal sealed class NetlinkNeighbourSource(RtnetlinkClient client, int ifindex) : INeighbourSource
{
    public NeighbourInfo? Get(IPAddress address) => client.GetNeighbour(ifindex, address);

    public void Solicit(IPAddress address) => client.RequestNeighbourResolution(ifindex, address);

    public IReadOnlyList<(IPAddress Address, int PrefixLength)> LocalPrefixes()
    {
        var prefixes = new List<(IPAddress, int)>();
        foreach (AddressInfo address in client.ListAddresses(ifindex))
        {
            prefixes.Add((address.Address, address.PrefixLength));
        }

        return prefixes;
    }
}
