using System.Net;
using RouterHost.Netlink;

namespace RouterHost.Plugins.AfXdp.Internal;

/// <summary>
/// The kernel's neighbour table for one device, as the resolver uses it (rtnetlink in production; a fake in tests).
/// Control plane: may block briefly, may throw <see cref="NetlinkException"/>.
/// </summary>
internal interface INeighbourSource
{
    /// <summary>The kernel's entry for <paramref name="address"/> on the device, or null.</summary>
    NeighbourInfo? Get(IPAddress address);

    /// <summary>
    /// Asks the kernel to resolve <paramref name="address"/> (creating the entry if needed), or to confirm an entry it
    /// has, as a packet sent to it would (ARP request / neighbour solicitation, or a reprobe of a stale entry).
    /// </summary>
    void Solicit(IPAddress address);

    /// <summary>The device's own prefixes (its addresses with prefix lengths): what is on-link.</summary>
    IReadOnlyList<(IPAddress Address, int PrefixLength)> LocalPrefixes();
}
