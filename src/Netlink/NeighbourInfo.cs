using System.Net;
using System.Net.NetworkInformation;

namespace RouterHost.Netlink;

/// <summary>A neighbour (ARP / NDP) entry as RTM_NEWNEIGH describes it.</summary>
/// <param name="InterfaceIndex">ndm_ifindex.</param>
/// <param name="Address">The protocol address (NDA_DST).</param>
/// <param name="LinkLayerAddress">The resolved MAC (NDA_LLADDR), null while unresolved.</param>
/// <param name="State">ndm_state.</param>
/// <param name="Flags">NTF_* flags (ndm_flags): 0x80 router, 0x08 proxy, ...</param>
public sealed record NeighbourInfo(
    int InterfaceIndex,
    IPAddress Address,
    PhysicalAddress? LinkLayerAddress,
    NeighbourState State,
    byte Flags)
{
    private const NeighbourState Valid =
        NeighbourState.Reachable | NeighbourState.Stale | NeighbourState.Delay | NeighbourState.Probe
        | NeighbourState.Permanent | NeighbourState.NoArp;

    /// <summary>True when the entry holds a link-layer address that may be used to send (NUD_VALID and an address).</summary>
    public bool IsResolved => (State & Valid) != 0 && LinkLayerAddress is not null;
}
