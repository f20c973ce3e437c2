using System.Net;

namespace RouterHost.Abstractions;

/// <summary>A port known to the router: an interface or a peer, with the groups firewall rules can name.</summary>
/// <param name="Id">Its id, as packets carry it.</param>
/// <param name="Name">Its unique name (interface name from configuration, or the peer's name).</param>
/// <param name="Groups">Groups it belongs to.</param>
/// <param name="Owner">The interface's backend, or the stage that registered the peer.</param>
public sealed record PortInfo(PortId Id, string Name, IReadOnlyList<string> Groups, string Owner)
{
    /// <summary>
    /// For a peer: the prefixes it may send from and that route to it (WireGuard's allowed IPs), network addresses
    /// (host bits clear), as the stage that registered it validated them. Empty for interfaces.
    /// </summary>
    public IReadOnlyList<IPNetwork> Prefixes { get; init; } = [];

    /// <summary>
    /// For an interface whose container is an <see cref="Links.IInterfaceLinkProvider"/>: its addresses with their prefix
    /// lengths (each prefix is directly connected). Empty for peers and for interfaces that do not say.
    /// </summary>
    public IReadOnlyList<InterfaceAddress> Addresses { get; init; } = [];

    /// <summary>Who answers for <see cref="Addresses"/>.</summary>
    public InterfaceAddressOwner AddressOwner { get; init; } = InterfaceAddressOwner.HostStack;

    /// <summary>
    /// The largest IP packet the port carries, in bytes: an interface's MTU, or a peer's tunnel inner MTU (what the
    /// stage that registered it says); 0 when unknown, and then nothing is checked against it.
    /// </summary>
    public int Mtu { get; init; }

    /// <summary>Whether it belongs to <paramref name="group"/> (case-insensitive).</summary>
    public bool InGroup(string group)
    {
        foreach (string g in Groups)
        {
            if (string.Equals(g, group, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
