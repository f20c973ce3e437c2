using RouterHost.Abstractions;

namespace RouterHost.Firewall;

/// <summary>A tracked connection as <see cref="ConntrackTable.Revalidate"/> shows it.</summary>
/// <param name="Original">The fields of the packet that opened it (ports, addresses, protocol, ports or ICMP type).</param>
/// <param name="Direction">The direction that packet walked the chain.</param>
/// <param name="State">Its state now.</param>
public readonly record struct ConntrackFlow(PacketFields Original, PacketDirection Direction, ConntrackState State);
