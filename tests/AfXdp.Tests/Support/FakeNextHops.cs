using System.Net;
using RouterHost.Abstractions;
using RouterHost.Abstractions.Routing;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>A next-hop table with the given addresses as ids 1, 2, ...</summary>
internal sealed class FakeNextHops(params string[] addresses) : INextHopTable
{
    private readonly List<IPAddress> _addresses = [.. addresses.Select(IPAddress.Parse)];

    public int Count => _addresses.Count;

    public void Add(string address) => _addresses.Add(IPAddress.Parse(address));

    public int CopyAddress(int id, Span<byte> destination)
    {
        if (id <= 0 || id > _addresses.Count)
        {
            return 0;
        }

        return _addresses[id - 1].TryWriteBytes(destination, out int written) ? written : 0;
    }
}
